;; api.wat - the module tests/unit/api_test.c drives through the public API.
(module $api
  (import "host" "add" (func $host_add (param i32 i32) (result i32)))
  (import "host" "fail" (func $host_fail))
  (import "host" "reenter" (func $host_reenter (param i32) (result i32)))
  (memory (export "memory") 1 4)
  (global $g (export "g") (mut i32) (i32.const 7))
  (data (i32.const 16) "mantle")
  ;; Never returns: only fuel or an interrupt stops it.
  (func $spin (export "spin")
    (loop $l (br $l)))
  ;; Unbounded recursion: must trap "call stack exhausted".
  (func $deep (export "deep") (param i32) (result i32)
    (i32.add (call $deep (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
  (func (export "call_host") (param i32 i32) (result i32)
    (call $host_add (local.get 0) (local.get 1)))
  (func (export "call_fail") (call $host_fail))
  ;; Host function calls back into "twice" on the same thread.
  (func (export "call_reenter") (param i32) (result i32)
    (call $host_reenter (local.get 0)))
  (func (export "twice") (param i32) (result i32)
    (i32.mul (local.get 0) (i32.const 2)))
  (func (export "load") (param i32) (result i32)
    (i32.load8_u (local.get 0)))
  (func (export "grow") (param i32) (result i32)
    (memory.grow (local.get 0)))
  (func (export "sum") (param i32) (result i64)
    (local $acc i64)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get 0)))
        (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.get 0))))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
        (br $l)))
    (local.get $acc)))
