st_add_test(test_wal SOURCES test_wal.c LIBS st_wal)
