# router/influxql: the InfluxQL parser on arbitrary query text.
if(TARGET st_influxql)
  st_add_fuzzer(fuzz_influxql SOURCES fuzz_influxql.c LIBS st_influxql)
endif()
