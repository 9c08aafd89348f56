# tests/router/hh: the hinted-handoff queue (router/hh.c).
st_add_test(test_hh SOURCES test_hh.c LIBS st_write)
