;; memory.wat - loads and stores with memargs, inline data, comments
(module
  (memory (export "m") (data "hello" (; a (; nested ;) comment ;) "\00"))
  (func (export "f") (param $a i32) (result i64) ;; line comment
    (i32.store offset=4 align=2 (local.get $a) (i32.load8_s (local.get $a)))
    (i64.store32 offset=0x10 (local.get $a) (i64.load16_u align=1 (local.get $a)))
    (f32.store align=4 (local.get $a) (f32.load offset=4294967295 (local.get $a)))
    (f64.store offset=1_000 align=8 (local.get $a) (f64.load (local.get $a)))
    local.get $a
    i64.load32_s offset=3 align=4
    local.get $a
    i64.load8_u
    i64.add
    (drop (memory.grow (memory.size)))
    (i32.store8 (i32.const 0) (i32.load16_s (i32.const 0)))
    (i32.store16 (i32.const 0) (i32.load8_u (i32.const 0)))
    (i64.store8 (i32.const 0) (i64.load8_s (i32.const 0)))
    (i64.store16 (i32.const 0) (i64.load16_s (i32.const 0)))
    (i64.store (i32.const 0) (i64.load32_u (i32.const 0)))
    (i64.load (i32.const 0)) (i64.add))
)
