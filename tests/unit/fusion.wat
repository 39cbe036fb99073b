;; fusion.wat - regression tests for the interpreter's instruction fusion
;; and register accumulator (docs/interpreter.md). Every pattern is computed
;; twice: once in the form lowering fuses, once with each intermediate
;; result passed through a (block (result ...)) whose end clears the
;; peephole state, so nothing fuses. `check` returns how many differ.
(module $fusion
  (memory 1)
  (data (i32.const 64) "\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10")

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

  (func (export "check") (result i32)
    (local $bad i32)
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
    ;; known answers, so both forms being equally wrong is caught too
    (local.set $bad
      (i32.add (local.get $bad)
        (i32.ne (call $store_plain (i32.const 100) (i32.const 12345))
                (i32.const 37071))))
    (local.set $bad
      (i32.add (local.get $bad)
        (i32.ne (call $tee_plain (i32.const 64)) (i32.const 473))))
    (local.get $bad)))
