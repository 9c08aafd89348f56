# tests/router/influxql: unit tests of router/influxql (st_influxql),
# checked against answers recorded from InfluxDB 1.6.
st_add_test(test_influxql SOURCES test_influxql.c LIBS st_influxql)
st_add_test(test_influxql_select SOURCES test_influxql_select.c LIBS st_influxql)
st_add_test(test_influxql_recorded SOURCES test_influxql_recorded.c LIBS st_influxql)
