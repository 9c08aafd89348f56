st_add_test(test_segment SOURCES test_segment.c LIBS st_segment)
