;; A hand-written ossflow guest (ABI v1) in WebAssembly text: the proof that
;; the ABI needs no SDK and no particular language. The first input byte
;; selects what it does:
;;   (empty) return at once (the benchmarks' empty handler)
;;   e<text> log "hello from wat" at info, output <text>
;;   s       increment a counter kept in the instance, output it as one digit
;;   c       output the configuration value "greeting"
;;   d       delete private/secret.txt (not granted): fail with the host's message
;;   D       same, but succeed and output the host's message
;;   t       trap (unreachable)
;;   l       loop forever
;;   g       grow memory until refused, then trap
;;   p       pass an out-of-bounds pointer to output_write, return its code
;; Compiled with wabt: wat2wasm guest.wat -o guest.wasm (see wat_test.go).
(module
  (import "ossflow" "log" (func $log (param i32 i32 i32) (result i32)))
  (import "ossflow" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "ossflow" "output_write" (func $output_write (param i32 i32) (result i32)))
  (import "ossflow" "fail" (func $fail (param i32 i32) (result i32)))
  (import "ossflow" "last_error" (func $last_error (param i32 i32) (result i32)))
  (import "ossflow" "config_get" (func $config_get (param i32 i32 i32 i32) (result i32)))
  (import "ossflow" "object_delete" (func $object_delete (param i32 i32 i32 i32) (result i32)))

  (memory (export "memory") 2)
  (global $count (mut i32) (i32.const 0))

  (data (i32.const 0) "hello from wat")
  (data (i32.const 16) "private")
  (data (i32.const 24) "secret.txt")
  (data (i32.const 40) "greeting")

  ;; Memory map: 0..1023 constants, 1024..65535 input, 65536.. scratch.
  (func (export "ossflow_handle") (param $n i32) (result i32)
    (local $op i32)
    (local $r i32)
    (if (i32.eqz (local.get $n)) (then (return (i32.const 0))))
    (if (i32.gt_u (local.get $n) (i32.const 64512))
      (then (return (i32.const -6))))
    (drop (call $input_read (i32.const 1024) (local.get $n)))
    (local.set $op (i32.load8_u (i32.const 1024)))

    ;; 'e': echo
    (if (i32.eq (local.get $op) (i32.const 101))
      (then
        (drop (call $log (i32.const 1) (i32.const 0) (i32.const 14)))
        (drop (call $output_write (i32.const 1025) (i32.sub (local.get $n) (i32.const 1))))
        (return (i32.const 0))))

    ;; 's': instance state
    (if (i32.eq (local.get $op) (i32.const 115))
      (then
        (global.set $count (i32.add (global.get $count) (i32.const 1)))
        (i32.store8 (i32.const 65536) (i32.add (i32.const 48) (global.get $count)))
        (drop (call $output_write (i32.const 65536) (i32.const 1)))
        (return (i32.const 0))))

    ;; 'c': configuration
    (if (i32.eq (local.get $op) (i32.const 99))
      (then
        (local.set $r (call $config_get (i32.const 40) (i32.const 8) (i32.const 65536) (i32.const 4096)))
        (if (i32.lt_s (local.get $r) (i32.const 0))
          (then (return (call $report (local.get $r)))))
        (if (i32.gt_u (local.get $r) (i32.const 4096)) (then (return (i32.const -6))))
        (drop (call $output_write (i32.const 65536) (local.get $r)))
        (return (i32.const 0))))

    ;; 'd': a denied delete, reported as the failure
    (if (i32.eq (local.get $op) (i32.const 100))
      (then
        (local.set $r (call $object_delete (i32.const 16) (i32.const 7) (i32.const 24) (i32.const 10)))
        (if (i32.lt_s (local.get $r) (i32.const 0))
          (then (return (call $report (local.get $r)))))
        (return (i32.const 0))))

    ;; 'D': a denied delete, the message as output
    (if (i32.eq (local.get $op) (i32.const 68))
      (then
        (local.set $r (call $object_delete (i32.const 16) (i32.const 7) (i32.const 24) (i32.const 10)))
        (if (i32.ge_s (local.get $r) (i32.const 0)) (then (return (i32.const 0))))
        (local.set $r (call $last_error (i32.const 65536) (i32.const 4096)))
        (drop (call $output_write (i32.const 65536) (select (local.get $r) (i32.const 4096) (i32.lt_u (local.get $r) (i32.const 4096)))))
        (return (i32.const 0))))

    ;; 't': trap
    (if (i32.eq (local.get $op) (i32.const 116)) (then unreachable))

    ;; 'l': spin forever
    (if (i32.eq (local.get $op) (i32.const 108))
      (then (loop $forever (br $forever))))

    ;; 'g': grow by 1 MiB until refused, then trap
    (if (i32.eq (local.get $op) (i32.const 103))
      (then
        (loop $grow
          (br_if $grow (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
        unreachable))

    ;; 'p': an out-of-bounds pointer
    (if (i32.eq (local.get $op) (i32.const 112))
      (then (return (call $output_write (i32.const 0xFFFFFF00) (i32.const 1024)))))

    (i32.const -4))

  ;; report makes the last host error the failure message and returns code.
  (func $report (param $code i32) (result i32)
    (local $len i32)
    (local.set $len (call $last_error (i32.const 65536) (i32.const 4096)))
    (drop (call $fail (i32.const 65536)
      (select (local.get $len) (i32.const 4096) (i32.lt_u (local.get $len) (i32.const 4096)))))
    (local.get $code))
)
