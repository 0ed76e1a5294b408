# Copy a log with one recorded value changed: -DIN= -DOUT= -DFROM= -DTO=
# (FROM must occur in the log; only its first occurrence is changed).
file(READ ${IN} text)
string(FIND "${text}" "${FROM}" pos)
if(pos EQUAL -1)
  message(FATAL_ERROR "'${FROM}' is not in ${IN}")
endif()
string(LENGTH "${FROM}" len)
string(SUBSTRING "${text}" 0 ${pos} head)
math(EXPR rest "${pos} + ${len}")
string(SUBSTRING "${text}" ${rest} -1 tail)
file(WRITE ${OUT} "${head}${TO}${tail}")
