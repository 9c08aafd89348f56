#tests / router / qout : router / qout(st_qout) against answers recorded from
#InfluxDB 1.6; t_qout.c holds the fixture and the recorded data.
st_add_test(test_qout SOURCES test_qout.c t_qout.c LIBS st_qout)
    st_add_test(test_qout_chunked SOURCES test_qout_chunked.c t_qout.c LIBS st_qout)
        st_add_test(test_qout_values SOURCES test_qout_values.c t_qout.c LIBS st_qout)
