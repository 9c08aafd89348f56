# tests/router/qadmin: router/auth unit tests, and st_qadmin_run against a
# real strata-meta started on loopback (the binary is meta/server.cmake's).
st_add_test(test_auth SOURCES test_auth.c LIBS st_qadmin)
st_add_test(test_qadmin SOURCES test_qadmin.c LIBS st_qadmin)
st_add_test(test_qreg SOURCES test_qreg.c LIBS st_qadmin)
if(TARGET strata-meta)
  add_dependencies(test_qadmin strata-meta)
endif()
