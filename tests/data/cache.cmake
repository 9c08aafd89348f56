st_add_test(test_cache SOURCES test_cache.c LIBS st_cache)
