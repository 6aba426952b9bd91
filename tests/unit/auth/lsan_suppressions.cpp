// Sanitizer defaults for unit_auth: libopendkim 2.11 leaks the private key (its dkim_crypto
// struct and EVP_PKEY) of every ed25519-sha256 signature it makes (the DKIM verifier tests sign
// with it); dkim_free() releases only RSA keys. Suppressed by the library frame (full unwinding).
extern "C" const char* __lsan_default_suppressions() { return "leak:dkim_privkey_load\n"; }
extern "C" const char* __asan_default_options() {
  return "fast_unwind_on_malloc=0:malloc_context_size=64";
}
