# tests/meta/catalogue: unit tests of meta/catalogue (st_cat).
st_add_test(test_catalogue SOURCES test_catalogue.c LIBS st_cat)
