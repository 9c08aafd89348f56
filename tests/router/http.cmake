# tests/router/http: st_http over real sockets, plus its body helpers.
st_add_test(test_http SOURCES test_http.c LIBS st_http PkgConfig::ZLIB)
