# tests/router/query: unit tests of the query engine's pieces (st_query).
st_add_test(test_query_parts SOURCES test_query_parts.c LIBS st_query)
st_add_test(test_query_points SOURCES test_query_points.c LIBS st_query)
st_add_test(test_query_ta SOURCES test_query_ta.c LIBS st_query)
