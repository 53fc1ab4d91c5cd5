# A time names its zone, which is the reader's own (pictureus.timezones).
DATETIME_FORMAT = "N j, Y, P T"
TIME_FORMAT = "P T"
