namespace CacheSerial.Internal;

/// <summary>Identifies one get-or-create flight: the stored key and the value type.</summary>
internal readonly record struct FlightKey(string StoreKey, Type ValueType);
