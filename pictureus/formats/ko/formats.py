# A time names its zone, which is the reader's own (pictureus.timezones).
DATETIME_FORMAT = "Y년 n월 j일 A g:i T"
TIME_FORMAT = "A g:i T"
