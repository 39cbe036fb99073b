;; loops.wat - simple inner loops the AOT emitter plans (src/aot/loop_scan.c):
;; loads without the keeping asm, locals carried from one iteration to the
;; next read again from memory. Run with `mantle run --tier=aot|interp
;; --invoke NAME` (tests/aot/CMakeLists.txt); each export returns 1 when
;; the planned loop computed what the same loop inside a block (never
;; planned) computes, or traps as its name says.
;; SPDX-License-Identifier: Apache-2.0
(module
  (memory 1)

  ;; base + 8j = j * 1.5, j = 0..63 (a loop with a block: not planned).
  (func $fill (param $base i32)
    (local $j i32)
    (loop $l
      (block
        (f64.store (i32.add (local.get $base) (i32.shl (local.get $j) (i32.const 3)))
                   (f64.mul (f64.convert_i32_s (local.get $j)) (f64.const 1.5))))
      (br_if $l (i32.ne (local.tee $j (i32.add (local.get $j) (i32.const 1)))
                        (i32.const 64)))))

  ;; A stencil as clang writes it: the value loaded at p+16 is carried in
  ;; $v and used again as the one at p+8 in the next iteration; the sum
  ;; goes to p+1032. Planned: a simple loop.
  (func $up (param $v f64) (param $p i32) (param $end i32)
    (loop $l
      (f64.store offset=1032 (local.get $p)
        (f64.add (f64.add (local.get $v) (f64.load (local.get $p)))
                 (local.tee $v (f64.load offset=16 (local.get $p)))))
      (br_if $l (i32.ne (local.tee $p (i32.add (local.get $p) (i32.const 8)))
                        (local.get $end)))))
  ;; The same to p+2056, with a block in the body: never planned.
  (func $up_ref (param $v f64) (param $p i32) (param $end i32)
    (loop $l
      (block
        (f64.store offset=2056 (local.get $p)
          (f64.add (f64.add (local.get $v) (f64.load (local.get $p)))
                   (local.tee $v (f64.load offset=16 (local.get $p))))))
      (br_if $l (i32.ne (local.tee $p (i32.add (local.get $p) (i32.const 8)))
                        (local.get $end)))))
  ;; The 64 entries at 1024 and 2048 agree.
  (func $same (result i32)
    (local $j i32) (local $ok i32)
    (local.set $ok (i32.const 1))
    (loop $l
      (if (i64.ne (i64.load offset=1024 (local.get $j))
                  (i64.load offset=2048 (local.get $j)))
        (then (local.set $ok (i32.const 0))))
      (br_if $l (i32.ne (local.tee $j (i32.add (local.get $j) (i32.const 8)))
                        (i32.const 512))))
    (local.get $ok))

  ;; $v holds the value at p+8, what the loop would read again: the
  ;; reloading copy runs.
  (func (export "carried") (result i32)
    (call $fill (i32.const 0))
    (call $up (f64.load (i32.const 8)) (i32.const 0) (i32.const 488))
    (call $up_ref (f64.load (i32.const 8)) (i32.const 0) (i32.const 488))
    (i32.and (call $same)
             (f64.eq (f64.load (i32.const 1032)) (f64.const 4.5))))  ;; 1.5+0+3

  ;; $v holds something else: the first iteration must use it.
  (func (export "carried_mismatch") (result i32)
    (call $fill (i32.const 0))
    (call $up (f64.const 100) (i32.const 0) (i32.const 488))
    (call $up_ref (f64.const 100) (i32.const 0) (i32.const 488))
    (i32.and (call $same)
             (f64.eq (f64.load (i32.const 1032)) (f64.const 103))))

  ;; Downwards: $v, loaded at p, is the value at p+8 in the next
  ;; iteration; sums go to p-16384 (and p-32768 from the reference).
  (func $down (param $v f64) (param $p i32)
    (loop $l
      (f64.store (i32.sub (local.get $p) (i32.const 16384))
        (f64.add (local.get $v) (local.tee $v (f64.load (local.get $p)))))
      (br_if $l (i32.ne (local.tee $p (i32.sub (local.get $p) (i32.const 8)))
                        (i32.const 65000)))))
  (func $down_ref (param $v f64) (param $p i32)
    (loop $l
      (block
        (f64.store (i32.sub (local.get $p) (i32.const 32768))
          (f64.add (local.get $v) (local.tee $v (f64.load (local.get $p))))))
      (br_if $l (i32.ne (local.tee $p (i32.sub (local.get $p) (i32.const 8)))
                        (i32.const 65000)))))

  ;; The first iteration's address to read again (p+8 = 65536) lies past
  ;; the end of memory: checking it must not trap.
  (func (export "carried_edge") (result i32)
    (local $p i32) (local $ok i32)
    (call $fill (i32.const 65024))
    (call $down (f64.const 7) (i32.const 65528))
    (call $down_ref (f64.const 7) (i32.const 65528))
    (local.set $ok (f64.eq (f64.load (i32.const 49144)) (f64.const 101.5)))  ;; 7 + 63*1.5
    (local.set $p (i32.const 32240))  ;; 65008 - 32768
    (loop $l
      (if (i64.ne (i64.load offset=16384 (local.get $p)) (i64.load (local.get $p)))
        (then (local.set $ok (i32.const 0))))
      (br_if $l (i32.ne (local.tee $p (i32.add (local.get $p) (i32.const 8)))
                        (i32.const 32768))))
    (local.get $ok))

  ;; Upwards off the end of memory: the carried load traps (at p+16 =
  ;; 65536), the store below it does not.
  (func (export "oob_carried") (result i32)
    (local $v f64) (local $p i32)
    (local.set $p (i32.const 64000))
    (loop $l
      (f64.store (i32.sub (local.get $p) (i32.const 16384))
        (f64.add (f64.add (local.get $v) (f64.load (local.get $p)))
                 (local.tee $v (f64.load offset=16 (local.get $p)))))
      (br_if $l (i32.ne (local.tee $p (i32.add (local.get $p) (i32.const 8)))
                        (i32.const 0))))
    (i32.const 1))

  ;; A load whose value a kept store uses needs no keeper, and still traps.
  (func (export "oob_copied") (result i32)
    (local $p i32)
    (local.set $p (i32.const 65000))
    (loop $l
      (i64.store offset=0 (i32.sub (local.get $p) (i32.const 32768))
                 (i64.load (local.get $p)))
      (br_if $l (i32.ne (local.tee $p (i32.add (local.get $p) (i32.const 8)))
                        (i32.const 70000))))
    (i32.const 1))

  ;; A dropped load keeps its keeper: it traps.
  (func (export "oob_dropped") (result i32)
    (local $p i32)
    (local.set $p (i32.const 65000))
    (loop $l
      (drop (i32.load (local.get $p)))
      (br_if $l (i32.ne (local.tee $p (i32.add (local.get $p) (i32.const 4)))
                        (i32.const 70000))))
    (i32.const 1))

  ;; *p = *p: gcc deletes such a store, then the load; it must trap.
  (func (export "oob_self") (result i32)
    (local $p i32)
    (local.set $p (i32.const 65000))
    (loop $l
      (i32.store (local.get $p) (i32.load (local.get $p)))
      (br_if $l (i32.ne (local.tee $p (i32.add (local.get $p) (i32.const 4)))
                        (i32.const 70000))))
    (i32.const 1))

  ;; The stored value is overwritten in the same iteration (a dead store
  ;; for gcc, then a dead load): it must trap.
  (func (export "oob_overwritten") (result i32)
    (local $p i32)
    (local.set $p (i32.const 65000))
    (loop $l
      (i32.store (i32.sub (local.get $p) (i32.const 32768))
                 (i32.load (local.get $p)))
      (i32.store (i32.sub (local.get $p) (i32.const 32768)) (i32.const 0))
      (br_if $l (i32.ne (local.tee $p (i32.add (local.get $p) (i32.const 4)))
                        (i32.const 70000))))
    (i32.const 1))

  ;; The store stays in one place: gcc may sink it out of the loop and
  ;; the loads before the last die with it. It must trap.
  (func (export "oob_fixed_store") (result i32)
    (local $p i32)
    (local.set $p (i32.const 65000))
    (loop $l
      (i32.store (i32.const 16) (i32.load (local.get $p)))
      (br_if $l (i32.ne (local.tee $p (i32.add (local.get $p) (i32.const 4)))
                        (i32.const 70000))))
    (i32.const 1))
)
