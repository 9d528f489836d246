// Types of the internal `_Support` module that belong to this module's API
// (a manifest's generation parameters are a `JSONValue`).
@_exported import enum _Support.JSONValue
@_exported import struct _Support.JSONError
