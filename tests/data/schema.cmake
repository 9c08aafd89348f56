# SchemaQuery: SHOW MEASUREMENTS / TAG KEYS / TAG VALUES / FIELD KEYS / SERIES.
if(TARGET st_node)
  st_add_test(test_schema SOURCES test_schema.c LIBS st_node)
endif()
