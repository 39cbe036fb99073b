;; fusion.wat - regression tests for the interpreter's instruction fusion
;; and register accumulator (docs/interpreter.md). Every pattern is computed
;; twice: once in the form lowering fuses, once with each intermediate
;; result passed through a (block (result ...)) whose end clears the
;; peephole state, so nothing fuses. `check` returns how many differ.
(module $fusion
  (memory 1)
  (data (i32.const 64) "\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10")
  ;; bytes for chain_loop: equal neighbours and br_table indices 0, 1, 2+
  (data (i32.const 128) "\00\00\01\01\02\00\02\01\00\00\05\05\01\02\00\00\00\01\01\02\02\00")

  ;; Traps inside fused instructions report the offset of the access that
  ;; failed (CMake tests fusion-trap-*, fusion_trap.sh). A load-operator
  ;; with tee:
  (func $trap_lt (export "trap_lt") (param $p i32) (result f64)
    (local $t f64)
    (f64.add (f64.const 1)
             (local.tee $t (f64.load offset=8 (local.get $p)))))
  ;; the address of a load-operator from the accumulator, after an add2:
  (func $trap_lxb (export "trap_lxb") (param $p i32) (param $q i32) (result f64)
    (local $b i32)
    (f64.store (i32.add (local.tee $b (i32.add (local.get $p) (local.get $q)))
                        (i32.const 16))
               (f64.add (f64.const 1)
                        (f64.load (i32.add (local.get $b) (i32.const 8)))))
    (f64.const 0))
  ;; two f64.add load-operators on one base (lx2): the first load, the
  ;; second
  (func $trap_lx2 (export "trap_lx2") (param $p i32) (result f64)
    (f64.add (f64.add (f64.const 1) (f64.load offset=8 (local.get $p)))
             (f64.load offset=16 (local.get $p))))

  ;; a stencil's loads off one base (an add2 computes it and the store's
  ;; address): the first load-operator takes the base from the
  ;; accumulator, and so do the load-tee and the lx2 after it
  ;; (link_xchain): each load traps
  (func $trap_xchain (export "trap_xchain") (param $p i32) (param $q i32) (result f64)
    (local $b i32) (local $t f64)
    (f64.store (i32.add (local.tee $b (i32.add (local.get $p) (local.get $q)))
                        (i32.const 40))
      (f64.add
        (f64.add
          (f64.add
            (f64.add (f64.const 1)
                     (f64.load (i32.add (local.get $b) (i32.const 8))))
            (local.tee $t (f64.load offset=16 (local.get $b))))
          (f64.load offset=24 (local.get $b)))
        (f64.load offset=32 (local.get $b))))
    (f64.const 0))
  ;; the same in bounds: 1 + 2 + 4 + 8 + 16
  (func $xchain_sum (export "xchain_sum") (param $p i32) (param $q i32) (result f64)
    (local $b i32) (local $t f64)
    (f64.store offset=8 (i32.const 0) (f64.const 2))
    (f64.store offset=16 (i32.const 0) (f64.const 4))
    (f64.store offset=24 (i32.const 0) (f64.const 8))
    (f64.store offset=32 (i32.const 0) (f64.const 16))
    (f64.store (i32.add (local.tee $b (i32.add (local.get $p) (local.get $q)))
                        (i32.const 40))
      (f64.add
        (f64.add
          (f64.add
            (f64.add (f64.const 1)
                     (f64.load (i32.add (local.get $b) (i32.const 8))))
            (local.tee $t (f64.load offset=16 (local.get $b))))
          (f64.load offset=24 (local.get $b)))
        (f64.load offset=32 (local.get $b))))
    (f64.load offset=40 (i32.const 0)))

  ;; a loop tail (iops.h VM_TAILS): the operator-store that the loop's
  ;; closing add_br_if joins traps on the third iteration
  (func $trap_tail (export "trap_tail") (param $p i32) (result f64)
    (local $j i32)
    (loop $l
      (f64.store (i32.add (local.get $p) (local.get $j))
                 (f64.mul (f64.add (f64.const 1) (f64.load (local.get $j)))
                          (f64.const 0.5)))
      (br_if $l (i32.ne (local.tee $j (i32.add (local.get $j) (i32.const 8)))
                        (i32.const 64))))
    (f64.const 0))
  ;; a pair (iops.h VM_PAIRS, i32.load8_u then its accumulator variant):
  ;; the first load, the second
  (func $trap_pair (export "trap_pair") (param $p i32) (param $q i32) (result i32)
    (i32.add (i32.load8_u (local.get $p)) (i32.load8_u offset=4 (local.get $q))))

;; a chain (iops.h VM_PAIRS, ctl 2): i32.load8_u joined to the pair of
  ;; its accumulator variant and the byte compare's branch: the first
  ;; load, the second
  (func $trap_chain (export "trap_chain") (param $p i32) (param $q i32) (result i32)
    (if (result i32)
        (i32.eq (i32.load8_u (local.get $p)) (i32.load8_u offset=4 (local.get $q)))
      (then (i32.const 1))
      (else (i32.const 2))))
  ;; a chain ending in a store's pair: i64.store32 of the accumulator, then
  ;; an add2 and a compare-and-branch on its second add
  (func $trap_store_chain (export "trap_store_chain") (param $p i32) (param $x i64) (result i32)
    (local $i i32) (local $j i32) (local $x32 i32)
    (local.set $x32 (i32.wrap_i64 (local.get $x)))
    (i64.store32 (local.get $p) (i64.add (local.get $x) (i64.const 1)))
    (local.set $i (i32.add (local.get $p) (i32.const 4)))
    (local.set $j (i32.add (local.get $p) (i32.const 8)))
    (if (result i32) (i32.lt_u (local.get $i) (local.get $x32))
      (then (local.get $j))
      (else (i32.const 2))))

  ;; store with a fused address and an accumulated value, read back
  (func $store_fused (param $p i32) (param $x i32) (result i32)
    (i32.store (i32.add (local.get $p) (i32.const 8))
               (i32.xor (i32.mul (local.get $x) (i32.const 3)) (local.get $p)))
    (i32.load (i32.add (local.get $p) (i32.const 8))))
  (func $store_plain (param $p i32) (param $x i32) (result i32)
    (i32.store (block (result i32) (i32.add (local.get $p) (i32.const 8)))
               (block (result i32)
                 (i32.xor (block (result i32) (i32.mul (local.get $x) (i32.const 3)))
                          (local.get $p))))
    (i32.load (block (result i32) (i32.add (local.get $p) (i32.const 8)))))

  ;; an f64 chain of loads, adds and a multiply (a stencil)
  (func $stencil_fused (param $a i32) (result f64)
    (f64.store (i32.const 512) (f64.const 1.5))
    (f64.store (i32.const 520) (f64.const -2.25))
    (f64.store (i32.const 528) (f64.const 1e10))
    (f64.mul (f64.add (f64.add (f64.load (local.get $a))
                               (f64.load (i32.add (local.get $a) (i32.const 8))))
                      (f64.load offset=16 (local.get $a)))
             (f64.const 0.2)))
  (func $stencil_plain (param $a i32) (result f64)
    (f64.store (i32.const 512) (f64.const 1.5))
    (f64.store (i32.const 520) (f64.const -2.25))
    (f64.store (i32.const 528) (f64.const 1e10))
    (f64.mul (block (result f64)
               (f64.add (block (result f64)
                          (f64.add (block (result f64) (f64.load (local.get $a)))
                                   (block (result f64)
                                     (f64.load (block (result i32)
                                       (i32.add (local.get $a) (i32.const 8)))))))
                        (block (result f64) (f64.load offset=16 (local.get $a)))))
             (f64.const 0.2)))

  ;; a value kept in a local with tee and read back at once
  (func $tee_fused (param $p i32) (result i32)
    (local $t i32)
    (i32.add (i32.load8_u (local.tee $t (i32.add (local.get $p) (i32.const 3))))
             (i32.mul (local.get $t) (i32.const 7))))
  (func $tee_plain (param $p i32) (result i32)
    (local $t i32)
    (local.set $t (block (result i32) (i32.add (local.get $p) (i32.const 3))))
    (i32.add (block (result i32) (i32.load8_u (local.get $t)))
             (block (result i32) (i32.mul (local.get $t) (i32.const 7)))))

  ;; i64 rotate/xor/add rounds (a hash); the loop ends on an add-and-branch
  (func $mix_fused (param $n i32) (result i64)
    (local $h i64) (local $i i32)
    (local.set $h (i64.const 0x6a09e667f3bcc908))
    (loop $l
      (local.set $h (i64.add (i64.xor (i64.rotl (local.get $h) (i64.const 13))
                                      (i64.extend_i32_u (local.get $i)))
                             (i64.const 0x9e3779b97f4a7c15)))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                          (local.get $n))))
    (local.get $h))
  (func $mix_plain (param $n i32) (result i64)
    (local $h i64) (local $i i32)
    (local.set $h (i64.const 0x6a09e667f3bcc908))
    (loop $l
      (local.set $h
        (block (result i64)
          (i64.add (block (result i64)
                     (i64.xor (block (result i64) (i64.rotl (local.get $h) (i64.const 13)))
                              (block (result i64) (i64.extend_i32_u (local.get $i)))))
                   (i64.const 0x9e3779b97f4a7c15))))
      (local.set $i (block (result i32) (i32.add (local.get $i) (i32.const 1))))
      (br_if $l (block (result i32) (i32.lt_u (local.get $i) (local.get $n)))))
    (local.get $h))

  ;; loads feeding arithmetic, and compare-branches on computed values
  (func $sum_fused (param $p i32) (param $n i32) (result i32)
    (local $s i32) (local $i i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $s (i32.add (local.get $s)
                               (i32.load8_u (i32.add (local.get $p) (local.get $i)))))
        (if (i32.gt_u (i32.and (local.get $s) (i32.const 7)) (i32.const 4))
          (then (local.set $s (i32.sub (local.get $s) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $s))
  (func $sum_plain (param $p i32) (param $n i32) (result i32)
    (local $s i32) (local $i i32)
    (block $done
      (loop $l
        (br_if $done (block (result i32) (i32.ge_u (local.get $i) (local.get $n))))
        (local.set $s
          (block (result i32)
            (i32.add (local.get $s)
                     (block (result i32)
                       (i32.load8_u (block (result i32)
                         (i32.add (local.get $p) (local.get $i))))))))
        (if (block (result i32)
              (i32.gt_u (block (result i32) (i32.and (local.get $s) (i32.const 7)))
                        (i32.const 4)))
          (then (local.set $s (block (result i32) (i32.sub (local.get $s) (i32.const 1))))))
        (local.set $i (block (result i32) (i32.add (local.get $i) (i32.const 1))))
        (br $l)))
    (local.get $s))

  ;; a stencil row as in jacobi2d: the base address set at the loop top
  ;; joins the store address's add (add2) and reaches the first
  ;; load-operator through the accumulator; a load kept in a local with tee
  ;; for the next iteration (load-operator with tee); an operator-store
  (func $fill (param $p i32) (param $n i32)
    (local $i i32)
    (loop $l
      (f64.store (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 3)))
                 (f64.sub (f64.mul (f64.convert_i32_u (local.get $i)) (f64.const 0.75))
                          (f64.const 5)))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                          (local.get $n)))))
  (func $row_fused (param $src i32) (param $dst i32) (param $n i32)
    (local $j i32) (local $p i32) (local $prev f64)
    (local.set $prev (f64.load offset=8 (local.get $src)))
    (loop $l
      local.get $j
      local.get $src
      i32.add
      local.tee $p
      local.get $dst
      i32.add
      local.get $prev
      local.get $p
      i32.const 8
      i32.add
      f64.load
      f64.add
      local.get $p
      i32.const 16
      i32.add
      f64.load
      local.tee $prev
      f64.add
      local.get $p
      f64.load offset=24
      f64.add
      f64.const 0.5
      f64.mul
      f64.store
      local.get $j
      i32.const 8
      i32.add
      local.tee $j
      local.get $n
      i32.ne
      br_if $l))
  (func $row_plain (param $src i32) (param $dst i32) (param $n i32)
    (local $j i32) (local $p i32) (local $prev f64)
    (local.set $prev (f64.load offset=8 (local.get $src)))
    (loop $l
      (local.set $p (block (result i32) (i32.add (local.get $j) (local.get $src))))
      (f64.store
        (block (result i32) (i32.add (local.get $p) (local.get $dst)))
        (block (result f64)
          (f64.mul
            (block (result f64)
              (f64.add
                (block (result f64)
                  (f64.add
                    (block (result f64)
                      (f64.add (local.get $prev)
                               (block (result f64)
                                 (f64.load (block (result i32)
                                   (i32.add (local.get $p) (i32.const 8)))))))
                    (block (result f64)
                      (local.set $prev
                        (block (result f64)
                          (f64.load (block (result i32)
                            (i32.add (local.get $p) (i32.const 16))))))
                      (local.get $prev))))
                (block (result f64) (f64.load offset=24 (local.get $p)))))
            (f64.const 0.5))))
      (local.set $j (block (result i32) (i32.add (local.get $j) (i32.const 8))))
      (br_if $l (block (result i32) (i32.ne (local.get $j) (local.get $n))))))
  ;; how many of n i64 words at a and b differ
  (func $differ (param $a i32) (param $b i32) (param $n i32) (result i32)
    (local $i i32) (local $d i32)
    (loop $l
      (local.set $d
        (i32.add (local.get $d)
          (i64.ne (i64.load (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 3))))
                  (i64.load (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 3)))))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                          (local.get $n))))
    (local.get $d))

  ;; an add2 whose second add overwrites the first's local: the load must
  ;; see the second value, so the first is not sent to the accumulator
  (func $overwrite_fused (param $a i32) (result f64)
    (local $p i32)
    (local.set $p (i32.add (local.get $a) (i32.const 8)))
    (local.set $p (i32.add (local.get $p) (i32.const 16)))
    (f64.mul (f64.const 2) (f64.load (i32.add (local.get $p) (i32.const 0)))))
  (func $overwrite_plain (param $a i32) (result f64)
    (local $p i32)
    (local.set $p (block (result i32) (i32.add (local.get $a) (i32.const 8))))
    (local.set $p (block (result i32) (i32.add (local.get $p) (i32.const 16))))
    (f64.mul (f64.const 2)
             (block (result f64) (f64.load (local.get $p)))))
  ;; an address computed by a shift into a local, then added in the load
  ;; with its operands swapped (the constant first)
  (func $shift_fused (param $i i32) (result f64)
    (local $a i32)
    (f64.sub (f64.const 100)
             (f64.load (i32.add (i32.const 1024)
                                (local.tee $a (i32.shl (local.get $i) (i32.const 3)))))))
  (func $shift_plain (param $i i32) (result f64)
    (local $a i32)
    (local.set $a (block (result i32) (i32.shl (local.get $i) (i32.const 3))))
    (f64.sub (f64.const 100)
             (block (result f64)
               (f64.load (block (result i32) (i32.add (i32.const 1024) (local.get $a)))))))

  ;; two f64.add load-operators on one base, the first reading the
  ;; accumulator (lx2); a middle sum kept in a local (not merged)
  (func $sum2_fused (param $p i32) (param $q i32) (result f64)
    (local $m f64)
    (f64.add
      (f64.add
        (f64.add (f64.mul (f64.load (local.get $q)) (f64.const 3))
                 (f64.load offset=8 (local.get $p)))
        (f64.load offset=24 (local.get $p)))
      (f64.add
        (local.tee $m (f64.add (f64.load offset=16 (local.get $q))
                               (f64.load offset=32 (local.get $p))))
        (f64.add (f64.load offset=40 (local.get $p)) (local.get $m)))))
  (func $sum2_plain (param $p i32) (param $q i32) (result f64)
    (local $m f64)
    (f64.add
      (block (result f64)
        (f64.add
          (block (result f64)
            (f64.add (block (result f64)
                       (f64.mul (block (result f64) (f64.load (local.get $q)))
                                (f64.const 3)))
                     (block (result f64) (f64.load offset=8 (local.get $p)))))
          (block (result f64) (f64.load offset=24 (local.get $p)))))
      (block (result f64)
        (local.set $m
          (block (result f64)
            (f64.add (block (result f64) (f64.load offset=16 (local.get $q)))
                     (block (result f64) (f64.load offset=32 (local.get $p))))))
        (f64.add (local.get $m)
                 (block (result f64)
                   (f64.add (block (result f64) (f64.load offset=40 (local.get $p)))
                            (local.get $m)))))))

  ;; two adds right before a label a branch targets, then an operator
  ;; after it: the adds must not merge (the label already points past them)
  (func $label_adds (param $a i32) (param $b i32) (result i32)
    (local $x i32)
    (i32.mul
      (block $out (result i32)
        (drop (br_if $out (i32.const 100) (local.get $b)))
        (local.set $x (i32.add (local.get $a) (i32.const 1)))
        (i32.add (local.get $x) (i32.const 2)))
      (i32.const 3)))

  ;; load-operators with tee on an i32 list (node i at 8192 + 16 i holds
  ;; the next node's address, 0 ends): the tee'd local is also the load's
  ;; address; as the operator's first or second operand; both operands;
  ;; the result written back to the same local
  (func $list (param $n i32)
    (local $i i32)
    (loop $l
      (i32.store (i32.add (i32.const 8192) (i32.shl (local.get $i) (i32.const 4)))
                 (select (i32.add (i32.const 8208) (i32.shl (local.get $i) (i32.const 4)))
                         (i32.const 0)
                         (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $n))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                          (local.get $n)))))
  (func $chase_fused (param $p i32) (result i32)
    (local $s i32) (local $t i32)
    (loop $l
      ;; s = s + (p = load(p))
      local.get $s
      local.get $p
      i32.load
      local.tee $p
      i32.add
      local.set $s
      ;; s = (t = load(p + 4)) + s, tee operand first
      local.get $p
      i32.load offset=4
      local.tee $t
      local.get $s
      i32.add
      local.set $s
      ;; s = s ^ ((t = load(p + 8)) + t): both operands are the local
      local.get $s
      local.get $p
      i32.load offset=8
      local.tee $t
      local.get $t
      i32.add
      i32.xor
      local.set $s
      ;; t = s + (t = load(p + 12)): the result into the tee'd local
      local.get $s
      local.get $p
      i32.load offset=12
      local.tee $t
      i32.add
      local.set $t
      (local.set $s (i32.add (local.get $s) (local.get $t)))
      (br_if $l (local.get $p)))
    (local.get $s))
  (func $chase_plain (param $p i32) (result i32)
    (local $s i32) (local $t i32)
    (loop $l
      (local.set $p (block (result i32) (i32.load (local.get $p))))
      (local.set $s (block (result i32) (i32.add (local.get $s) (local.get $p))))
      (local.set $t (block (result i32) (i32.load offset=4 (local.get $p))))
      (local.set $s (block (result i32) (i32.add (local.get $t) (local.get $s))))
      (local.set $t (block (result i32) (i32.load offset=8 (local.get $p))))
      (local.set $s
        (block (result i32)
          (i32.xor (local.get $s)
                   (block (result i32) (i32.add (local.get $t) (local.get $t))))))
      (local.set $t (block (result i32) (i32.load offset=12 (local.get $p))))
      (local.set $t (block (result i32) (i32.add (local.get $s) (local.get $t))))
      (local.set $s (block (result i32) (i32.add (local.get $s) (local.get $t))))
      (br_if $l (block (result i32) (local.get $p))))
    (local.get $s))

  ;; branches on i32.and (a bit test) and on i32.sub and i32.xor (non-zero:
  ;; not equal), as br_if and as if, with operands from the accumulator;
  ;; the loop ends on an add whose result a sub tests (add-and-branch)
  (func $bits_fused (param $p i32) (param $n i32) (result i32)
    (local $s i32) (local $i i32) (local $v i32)
    (loop $l
      (local.set $v (i32.load8_u (i32.add (local.get $p) (local.get $i))))
      (if (i32.and (i32.load8_u (i32.add (local.get $p) (local.get $i)))
                   (i32.const 2))
        (then (local.set $s (i32.add (local.get $s) (i32.const 3)))))
      (block $b
        (br_if $b (i32.and (local.get $v) (i32.const 4)))
        (local.set $s (i32.mul (local.get $s) (i32.const 5))))
      (block $c
        (br_if $c (i32.sub (local.get $v) (i32.const 7)))
        (local.set $s (i32.add (local.get $s) (i32.const 100))))
      (if (i32.xor (i32.const 9) (i32.mul (local.get $v) (i32.const 1)))
        (then (local.set $s (i32.xor (local.get $s) (local.get $v))))
        (else (local.set $s (i32.sub (local.get $s) (i32.const 1000)))))
      (br_if $l (i32.sub (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                         (local.get $n))))
    (local.get $s))
  (func $bits_plain (param $p i32) (param $n i32) (result i32)
    (local $s i32) (local $i i32) (local $v i32)
    (loop $l
      (local.set $v (block (result i32)
        (i32.load8_u (block (result i32) (i32.add (local.get $p) (local.get $i))))))
      (if (block (result i32)
            (i32.and (block (result i32)
                       (i32.load8_u (block (result i32)
                         (i32.add (local.get $p) (local.get $i)))))
                     (i32.const 2)))
        (then (local.set $s (block (result i32) (i32.add (local.get $s) (i32.const 3))))))
      (block $b
        (br_if $b (block (result i32) (i32.and (local.get $v) (i32.const 4))))
        (local.set $s (block (result i32) (i32.mul (local.get $s) (i32.const 5)))))
      (block $c
        (br_if $c (block (result i32) (i32.sub (local.get $v) (i32.const 7))))
        (local.set $s (block (result i32) (i32.add (local.get $s) (i32.const 100)))))
      (if (block (result i32)
            (i32.xor (i32.const 9)
                     (block (result i32) (i32.mul (local.get $v) (i32.const 1)))))
        (then (local.set $s (block (result i32) (i32.xor (local.get $s) (local.get $v)))))
        (else (local.set $s (block (result i32) (i32.sub (local.get $s) (i32.const 1000))))))
      (local.set $i (block (result i32) (i32.add (local.get $i) (i32.const 1))))
      (br_if $l (block (result i32) (i32.sub (local.get $i) (local.get $n)))))
    (local.get $s))

  ;; an add or sub kept in a local and tested at once by br_if / if
  ;; (op_br): a countdown, a sum that may wrap to zero
  (func $count_fused (param $n i32) (param $k i32) (result i32)
    (local $s i32) (local $m i32)
    (loop $l
      (local.set $s (i32.xor (local.get $s) (i32.mul (local.get $n) (i32.const 3))))
      (if (local.tee $m (i32.add (local.get $n) (local.get $k)))
        (then (local.set $s (i32.add (local.get $s) (local.get $m))))
        (else (local.set $s (i32.add (local.get $s) (i32.const 1000)))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $s))
  (func $count_plain (param $n i32) (param $k i32) (result i32)
    (local $s i32) (local $m i32)
    (loop $l
      (local.set $s (block (result i32)
        (i32.xor (local.get $s) (block (result i32) (i32.mul (local.get $n) (i32.const 3))))))
      (local.set $m (block (result i32) (i32.add (local.get $n) (local.get $k))))
      (if (block (result i32) (local.get $m))
        (then (local.set $s (block (result i32) (i32.add (local.get $s) (local.get $m)))))
        (else (local.set $s (block (result i32) (i32.add (local.get $s) (i32.const 1000))))))
      (local.set $n (block (result i32) (i32.sub (local.get $n) (i32.const 1))))
      (br_if $l (block (result i32) (local.get $n))))
    (local.get $s))

;; pairs and chains (iops.h VM_PAIRS) in a loop, run by check and by
  ;; the fuel test (fusion-fuel-chain): the stack pointer's update at entry
  ;; (global.get, i32.sub, global.set) and exit (i32.add, global.set,
  ;; return), a byte compare (i32.load8_u, its accumulator variant,
  ;; br_unless.I32Eq), an opcode fetch and switch (i64.add, i32.load8_u,
  ;; br_table)
  (global $sp (mut i32) (i32.const 32768))
  (func $chain_fused (export "chain_loop") (param $a i32) (param $n i32) (result i32)
    (local $fp i32) (local $s i32) (local $k i64) (local $r i32) (local $end i32)
    (global.set $sp (local.tee $fp (i32.sub (global.get $sp) (i32.const 16))))
    (i32.store (local.get $fp) (local.get $n))
    (local.set $end (i32.add (local.get $a) (local.get $n)))
    (loop $l
      (if (i32.eq (i32.load8_u (local.get $a)) (i32.load8_u offset=1 (local.get $a)))
        (then (local.set $s (i32.add (local.get $s) (i32.const 1)))))
      (local.set $k (i64.add (local.get $k) (i64.const 1)))
      (block $c
        (block $b
          (block $a0
            (br_table $a0 $b $c (i32.load8_u offset=2 (local.get $a))))
          (local.set $s (i32.add (local.get $s) (i32.const 10)))
          (br $c))
        (local.set $s (i32.mul (local.get $s) (i32.const 3))))
      (local.set $a (i32.add (local.get $a) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $a) (local.get $end))))
    (local.set $r (i32.add (i32.load (local.get $fp))
                           (i32.add (local.get $s) (i32.wrap_i64 (local.get $k)))))
    (global.set $sp (i32.add (local.get $fp) (i32.const 16)))
    (local.get $r))
  (func $chain_plain (param $a i32) (param $n i32) (result i32)
    (local $fp i32) (local $s i32) (local $k i64) (local $r i32) (local $end i32)
    (local.set $fp (block (result i32) (i32.sub (block (result i32) (global.get $sp))
                                                (i32.const 16))))
    (global.set $sp (block (result i32) (local.get $fp)))
    (i32.store (local.get $fp) (local.get $n))
    (local.set $end (i32.add (local.get $a) (local.get $n)))
    (loop $l
      (if (block (result i32)
            (i32.eq (block (result i32) (i32.load8_u (local.get $a)))
                    (block (result i32) (i32.load8_u offset=1 (local.get $a)))))
        (then (local.set $s (block (result i32) (i32.add (local.get $s) (i32.const 1))))))
      (local.set $k (block (result i64) (i64.add (local.get $k) (i64.const 1))))
      (block $c
        (block $b
          (block $a0
            (br_table $a0 $b $c
              (block (result i32) (i32.load8_u offset=2 (local.get $a)))))
          (local.set $s (block (result i32) (i32.add (local.get $s) (i32.const 10))))
          (br $c))
        (local.set $s (block (result i32) (i32.mul (local.get $s) (i32.const 3)))))
      (local.set $a (block (result i32) (i32.add (local.get $a) (i32.const 1))))
      (br_if $l (block (result i32) (i32.lt_u (local.get $a) (local.get $end)))))
    (local.set $r (block (result i32)
      (i32.add (i32.load (local.get $fp))
               (i32.add (local.get $s) (i32.wrap_i64 (local.get $k))))))
    (global.set $sp (block (result i32) (i32.add (local.get $fp) (i32.const 16))))
    (local.get $r))

  (func (export "check") (result i32)
    (local $bad i32)
    (call $fill (i32.const 1024) (i32.const 40))
    (call $row_fused (i32.const 1024) (i32.const 2048) (i32.const 240))
    (call $row_plain (i32.const 1024) (i32.const 4096) (i32.const 240))
    (local.set $bad
      (i32.add (local.get $bad)
        (call $differ (i32.const 3072) (i32.const 5120) (i32.const 30))))
    ;; (v1 + v1 + v2 + v3) / 2, v_i = 0.75 i - 5
    (local.set $bad
      (i32.add (local.get $bad)
        (f64.ne (f64.load (i32.const 3072)) (f64.const -7.375))))
    (local.set $bad
      (i32.add (local.get $bad)
        (i64.ne (i64.reinterpret_f64 (call $overwrite_fused (i32.const 1024)))
                (i64.reinterpret_f64 (call $overwrite_plain (i32.const 1024))))))
    (local.set $bad
      (i32.add (local.get $bad)
        (f64.ne (call $overwrite_fused (i32.const 1024)) (f64.const -5.5))))
    (local.set $bad
      (i32.add (local.get $bad)
        (i64.ne (i64.reinterpret_f64 (call $shift_fused (i32.const 7)))
                (i64.reinterpret_f64 (call $shift_plain (i32.const 7))))))
    (local.set $bad
      (i32.add (local.get $bad)
        (f64.ne (call $shift_fused (i32.const 7)) (f64.const 99.75))))
    (local.set $bad
      (i32.add (local.get $bad)
        (i64.ne (i64.reinterpret_f64 (call $sum2_fused (i32.const 1024) (i32.const 1040)))
                (i64.reinterpret_f64 (call $sum2_plain (i32.const 1024) (i32.const 1040))))))
    ;; v2 * 3 + v1 + v3 + (v4 + v4) + (v5 + v4 + v4), v_i = 0.75 i - 5
    (local.set $bad
      (i32.add (local.get $bad)
        (f64.ne (call $sum2_fused (i32.const 1024) (i32.const 1040)) (f64.const -26.75))))
    (local.set $bad
      (i32.add (local.get $bad)
        (i32.ne (call $label_adds (i32.const 5) (i32.const 0)) (i32.const 24))))
    (local.set $bad
      (i32.add (local.get $bad)
        (i32.ne (call $label_adds (i32.const 5) (i32.const 1)) (i32.const 300))))
    (call $list (i32.const 50))
    (local.set $bad
      (i32.add (local.get $bad)
        (i32.ne (call $chase_fused (i32.const 8192))
                (call $chase_plain (i32.const 8192)))))
    (local.set $bad
      (i32.add (local.get $bad)
        (i32.ne (call $store_fused (i32.const 100) (i32.const 12345))
                (call $store_plain (i32.const 100) (i32.const 12345)))))
    (local.set $bad
      (i32.add (local.get $bad)
        (i64.ne (i64.reinterpret_f64 (call $stencil_fused (i32.const 512)))
                (i64.reinterpret_f64 (call $stencil_plain (i32.const 512))))))
    (local.set $bad
      (i32.add (local.get $bad)
        (i32.ne (call $tee_fused (i32.const 64)) (call $tee_plain (i32.const 64)))))
    (local.set $bad
      (i32.add (local.get $bad)
        (i64.ne (call $mix_fused (i32.const 1000)) (call $mix_plain (i32.const 1000)))))
    (local.set $bad
      (i32.add (local.get $bad)
        (i32.ne (call $sum_fused (i32.const 64) (i32.const 16))
                (call $sum_plain (i32.const 64) (i32.const 16)))))
    (local.set $bad
      (i32.add (local.get $bad)
        (i32.ne (call $bits_fused (i32.const 64) (i32.const 16))
                (call $bits_plain (i32.const 64) (i32.const 16)))))
    (local.set $bad
      (i32.add (local.get $bad)
        (i32.ne (call $count_fused (i32.const 20) (i32.const -7))
                (call $count_plain (i32.const 20) (i32.const -7)))))
    (local.set $bad
      (i32.add (local.get $bad)
        (i32.ne (call $chain_fused (i32.const 128) (i32.const 18))
                (call $chain_plain (i32.const 128) (i32.const 18)))))
    ;; both restored the stack pointer
    (local.set $bad
      (i32.add (local.get $bad) (i32.ne (global.get $sp) (i32.const 32768))))
    ;; known answers, so both forms being equally wrong is caught too
    (local.set $bad
      (i32.add (local.get $bad)
        (i32.ne (call $store_plain (i32.const 100) (i32.const 12345))
                (i32.const 37071))))
    (local.set $bad
      (i32.add (local.get $bad)
        (i32.ne (call $tee_plain (i32.const 64)) (i32.const 473))))
    (local.set $bad
      (i32.add (local.get $bad)
        (i32.ne (call $bits_plain (i32.const 64) (i32.const 16)) (i32.const 607921))))
    (local.set $bad
      (i32.add (local.get $bad)
        (i32.ne (call $count_plain (i32.const 20) (i32.const -7)) (i32.const 1112))))
    ;; chain_loop's answer computed separately (a model of the loop)
    (local.set $bad
      (i32.add (local.get $bad)
        (i32.ne (call $chain_plain (i32.const 128) (i32.const 18)) (i32.const 2539))))
    (local.get $bad)))
