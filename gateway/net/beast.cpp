// Boost.Beast and Boost.Asio, compiled once for the whole hub (BOOST_BEAST_SEPARATE_COMPILATION
// and BOOST_ASIO_SEPARATE_COMPILATION are public compile definitions of hub_gateway, so every
// user of its headers, the simulator's clients and the tests included, links this instead of
// instantiating the libraries in each translation unit).

#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
