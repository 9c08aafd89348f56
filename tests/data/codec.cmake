# data/codec: public API (with a TSBS compression measurement, hence st_tsbs)
# and the private residual packer.
st_add_test(test_codec SOURCES test_codec.c LIBS st_codec st_tsbs)
st_add_test(test_codec_seq SOURCES test_codec_seq.c LIBS st_codec)
