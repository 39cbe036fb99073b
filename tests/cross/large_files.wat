;; large_files.wat - WASI file offsets, sizes and times past 32 bits.
;; SPDX-License-Identifier: Apache-2.0
;;
;; Regression test for 32-bit hosts (armv7): off_t and time_t must be 64-bit
;; there (_FILE_OFFSET_BITS=64, _TIME_BITS=64), or seeks past 2 GiB, sizes
;; past 4 GiB and times after 2038 are silently truncated. Run with the
;; scratch directory preopened as fd 3:
;;   mantle run --dir SCRATCH::/s large_files.wasm
;; The guest creates "big" there, makes it 5 GiB (sparse), seeks to
;; 6 GiB + 7, sets its mtime to 2^33 s (year 2242), checks each through
;; fd_tell and fd_filestat_get, then removes it. Exit status 0 on success,
;; else the number of the check that failed (10 + errno for a WASI error).
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_seek"
    (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_tell"
    (func $fd_tell (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_filestat_set_size"
    (func $set_size (param i32 i64) (result i32)))
  (import "wasi_snapshot_preview1" "fd_filestat_set_times"
    (func $set_times (param i32 i64 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_filestat_get"
    (func $filestat (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close"
    (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_unlink_file"
    (func $unlink (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "big")

  ;; a WASI call's errno: exit 10 + errno unless it is 0
  (func $ok (param $e i32)
    (if (local.get $e) (then (call $exit (i32.add (i32.const 10) (local.get $e))))))
  (func $check (param $cond i32) (param $code i32)
    (if (i32.eqz (local.get $cond)) (then (call $exit (local.get $code)))))

  (func (export "_start")
    (local $fd i32)
    ;; path_open(3, follow, "big", CREAT|TRUNC, all rights) -> fd at 16
    (call $ok (call $path_open (i32.const 3) (i32.const 1) (i32.const 0) (i32.const 3)
      (i32.const 9) (i64.const 0x1fffffff) (i64.const 0x1fffffff) (i32.const 0)
      (i32.const 16)))
    (local.set $fd (i32.load (i32.const 16)))
    ;; 1: size 5 GiB
    (call $ok (call $set_size (local.get $fd) (i64.const 0x140000000)))
    (call $ok (call $filestat (local.get $fd) (i32.const 64)))
    (call $check (i64.eq (i64.load offset=32 (i32.const 64)) (i64.const 0x140000000))
      (i32.const 1))
    ;; 2: seek to 6 GiB + 7 (fd_seek's result and fd_tell agree)
    (call $ok (call $fd_seek (local.get $fd) (i64.const 0x180000007) (i32.const 0)
      (i32.const 24)))
    (call $check (i64.eq (i64.load (i32.const 24)) (i64.const 0x180000007)) (i32.const 2))
    (call $ok (call $fd_tell (local.get $fd) (i32.const 24)))
    (call $check (i64.eq (i64.load (i32.const 24)) (i64.const 0x180000007)) (i32.const 3))
    ;; 4: mtime 2^33 s after the epoch, in ns
    (call $ok (call $set_times (local.get $fd) (i64.const 0)
      (i64.const 8589934592000000000) (i32.const 4)))
    (call $ok (call $filestat (local.get $fd) (i32.const 64)))
    (call $check (i64.eq (i64.load offset=48 (i32.const 64))
      (i64.const 8589934592000000000)) (i32.const 4))
    ;; clean up
    (call $ok (call $set_size (local.get $fd) (i64.const 0)))
    (call $ok (call $fd_close (local.get $fd)))
    (call $ok (call $unlink (i32.const 3) (i32.const 0) (i32.const 3)))))
