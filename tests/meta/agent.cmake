# Data nodes in a cluster: real strata-meta and strata-data processes.
st_add_test(test_data_agent SOURCES test_data_agent.c LIBS st_mcli st_cat st_proto)
