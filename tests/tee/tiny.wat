;; tiny.wat - a module to measure and attest in the TEE unit tests.
(module (memory (export "memory") 1) (func (export "f") (result i32) i32.const 42))
