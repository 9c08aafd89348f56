# The router's own body parsing (form parameters, gzip); HTTP itself is libmicrohttpd's.
st_add_fuzzer(fuzz_http_body SOURCES fuzz_http_body.c LIBS st_http)
