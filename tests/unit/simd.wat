;; simd.wat - v128 values across calls: the embedding API, host functions,
;; Wasm-to-Wasm calls, multi-value blocks and globals. A v128 takes two
;; interpreter slots, so every value after one moves by a slot.
(module
  (import "host" "mix" (func $mix (param i32 v128 f64) (result v128 i32)))
  (global $g (export "g") (mut v128) (v128.const i32x4 1 2 3 4))

  ;; (a, v, d) -> (v + splat(a), a * 2, d + 1)
  (func $shift (export "shift") (param $a i32) (param $v v128) (param $d f64)
        (result v128 i32 f64)
    (i32x4.add (local.get $v) (i32x4.splat (local.get $a)))
    (i32.mul (local.get $a) (i32.const 2))
    (f64.add (local.get $d) (f64.const 1)))

  ;; Calls $shift, then the host, through a block carrying v128 values,
  ;; and folds everything into the global and an i32.
  (func (export "run") (param $a i32) (result i32)
    (local $v v128) (local $i i32) (local $d f64)
    (call $shift (local.get $a) (global.get $g) (f64.const 0.5))
    (local.set $d)
    (local.set $i)
    (local.set $v)
    (local.get $v)
    (local.get $i)
    (block (param v128 i32) (result i32 v128)
      (local.set $i)
      (local.set $v (i32x4.mul (i32x4.splat (i32.const 3))))
      (local.get $i)
      (local.get $v)
      (br_if 0 (i32.eqz (local.get $a))))
    (local.set $v)
    (local.set $i)
    (call $mix (local.get $i) (local.get $v) (local.get $d))
    (local.set $i)
    (global.set $g)
    (i32.add (local.get $i) (i32x4.extract_lane 3 (global.get $g))))

  (func (export "pick") (param $c i32) (param $x v128) (param $y v128)
        (result v128)
    (select (local.get $x) (local.get $y) (local.get $c))))
