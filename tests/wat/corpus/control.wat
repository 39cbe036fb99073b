;; control.wat - structured control, flat and folded, labels, block types
(module
  (type $ii (func (param i32) (result i32)))
  (type $v (func))
  (table $t 2 funcref)
  (table $t2 1 externref)
  (func $f (type $ii) (local.get 0))
  (func $flat (param $x i32) (result i32)
    block $outer (result i32)
      loop $l
        local.get $x
        br_if $l
        block
          local.get $x
          br_table 0 1 $l 0
        end
      end
      i32.const 1
      local.get $x
      if $i (param i32) (result i32)
        i32.const 2
        i32.add
      else
        i32.const 3
        i32.sub
      end $i
      br $outer
    end $outer)
  (func $folded (param i32 i32) (result i32 i32)
    (block (result i32 i32)
      (if (result i32 i32) (local.get 0)
        (then (local.get 0) (local.get 1))
        (else (local.get 1) (local.get 0)))))
  (func $empty-else (param i32)
    (if (local.get 0) (then (nop)) (else))
    local.get 0
    if
      nop
    else
    end)
  (func $typed-block (result i32)
    (i32.const 5)
    (block (type $ii) (param i32) (result i32)))
  (func $blocktype-named (result i32)
    (i32.const 1)
    (block (type $ii) (i32.const 2) (i32.add)))
  (func $calls (param i32) (result i32)
    (call $f (local.get 0))
    (call_indirect (type $ii) (i32.const 0))
    (call_indirect $t (param i32) (result i32) (i32.const 1))
    i32.const 0
    call_indirect 0 (type $ii)
    drop
    (call $return_call_free (local.get 0) (local.get 0)))
  (func $return_call_free (param i32 i32) (result i32)
    (select (local.get 0) (local.get 1) (i32.const 1))
    (select (result i32) (local.get 0) (local.get 1) (i32.const 1))
    drop
    (return)
    unreachable)
  (func $refs (result i32)
    (drop (ref.is_null (ref.null func)))
    (ref.is_null (ref.func $f))
    (drop)
    (table.get $t (i32.const 0))
    (drop)
    (table.set $t2 (i32.const 0) (ref.null extern))
    (table.size $t)
    (drop)
    (table.grow $t (ref.null func) (i32.const 1)))
  (elem declare func $f)
)
