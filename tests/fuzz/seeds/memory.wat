;; memory.wat - fuzz seed; corpus/memory.wasm is `wat2wasm --debug-names memory.wat`.
;; SPDX-License-Identifier: Apache-2.0
(module
  (memory (export "mem") 1 2)
  (data (i32.const 8) "seed\00data")
  (func (export "load") (result i32) (i32.load offset=8 (i32.const 0)))
  (func (export "grow") (result i32) (memory.grow (i32.const 1)))
  (func (export "oob") (result i64) (i64.load (i32.const 65535)))
  (func (export "fill")
    (memory.fill (i32.const 0) (i32.const 7) (i32.const 100))
    (memory.copy (i32.const 200) (i32.const 0) (i32.const 50))))
