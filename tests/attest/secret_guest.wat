;; secret_guest.wat - prints the secret "db" (mantle.tee_secret) to stdout;
;; exits 3 with nothing printed when the secret is missing.
(module
  (import "mantle" "tee_secret"
    (func $secret (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "db")
  (func (export "_start")
    ;; secret into [1024, 5120), its length at 16
    (if (call $secret (i32.const 0) (i32.const 2) (i32.const 1024)
                      (i32.const 4096) (i32.const 16))
      (then (call $exit (i32.const 3))))
    (i32.store (i32.const 32) (i32.const 1024))
    (i32.store (i32.const 36) (i32.load (i32.const 16)))
    (drop (call $write (i32.const 1) (i32.const 32) (i32.const 1)
                       (i32.const 48)))))
