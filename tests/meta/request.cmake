# tests/meta/request: unit tests of meta/request (st_mreq_decode).
st_add_test(test_meta_request SOURCES test_request.c LIBS st_mreq)
