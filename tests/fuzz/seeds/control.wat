;; control.wat - fuzz seed; corpus/control.wasm is `wat2wasm --debug-names control.wat`.
;; SPDX-License-Identifier: Apache-2.0
(module
  (global $g (mut i32) (i32.const 0))
  (func (export "loop") (result i32)
    (local i32)
    (loop $l
      (local.set 0 (i32.add (local.get 0) (i32.const 1)))
      (global.set $g (local.get 0))
      (br_if $l (i32.lt_u (local.get 0) (i32.const 100))))
    (local.get 0))
  (func (export "spin") (loop $l (br $l)))
  (func $rec (export "rec") (param i32) (result i32)
    (call $rec (i32.add (local.get 0) (i32.const 1))))
  (func (export "switch") (param i32) (result i32)
    (block $a (block $b (block $c
      (br_table $a $b $c (local.get 0)))
      (return (i32.const 3)))
      (return (i32.const 2)))
    (i32.const 1))
  (func (export "pair") (result i32 i64)
    (i32.const 1) (i64.const 2))
  (func (export "select") (param i32) (result f64)
    (select (f64.const 1.5) (f64.const -2.5) (local.get 0))))
