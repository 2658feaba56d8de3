// Written by `python -m utensor.version --write-header` from library.json. Do not edit.
#ifndef UTENSOR_VERSION_HPP
#define UTENSOR_VERSION_HPP

#define UTENSOR_VERSION_MAJOR 0
#define UTENSOR_VERSION_MINOR 1
#define UTENSOR_VERSION_PATCH 0
// Generated models refuse to compile unless this equals the converter's number.
#define UTENSOR_VERSION 100
#define UTENSOR_VERSION_STRING "0.1.0"

#endif  // UTENSOR_VERSION_HPP
