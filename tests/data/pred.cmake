if(TARGET st_pred)
  st_add_test(test_pred SOURCES test_pred.c LIBS st_pred)
endif()
