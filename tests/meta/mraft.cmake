st_add_test(test_mraft SOURCES test_mraft.c LIBS st_mraft)
