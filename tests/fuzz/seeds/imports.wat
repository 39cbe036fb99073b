;; imports.wat - fuzz seed; corpus/imports.wasm is `wat2wasm --debug-names imports.wat`.
;; SPDX-License-Identifier: Apache-2.0
(module
  (import "env" "f" (func $f (param i32) (result i32)))
  (import "env" "mem" (memory 1))
  (import "env" "tab" (table 2 funcref))
  (import "env" "g" (global $g i64))
  (import "env" "gm" (global $gm (mut f32)))
  (elem declare func $f)
  (func (export "callf") (result i32) (call $f (i32.const 7)))
  (func (export "globals") (result i64)
    (global.set $gm (f32.const 2))
    (i64.add (global.get $g) (i64.load (i32.const 0))))
  (func (export "reref") (result funcref) (ref.func $f))
  (func (export "isnull") (param externref) (result i32)
    (ref.is_null (local.get 0))))
