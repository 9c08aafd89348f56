st_add_test(test_index SOURCES test_index.c LIBS st_index)
