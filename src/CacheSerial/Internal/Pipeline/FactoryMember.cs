namespace CacheSerial.Internal;

/// <summary>
/// A key in a factory run or a caller's wait: its flight, and what the caller's read found (a miss, a stale value for
/// fail-safe, or for an eager refresh the fresh value being replaced).
/// </summary>
internal readonly record struct FactoryMember<T>(CacheKey Key, FlightKey FlightKey, Flight<T> Flight, EntryRead<T> Previous);
