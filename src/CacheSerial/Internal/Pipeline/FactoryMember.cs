namespace CacheSerial.Internal;

/// <summary>
/// A key in a factory run or a caller's wait: its flight, what the caller's read found (a miss, a stale value for
/// fail-safe, or for an eager refresh the fresh value being replaced), and the key's run generation before that read
/// (-1 when there was no read), by which the run knows whether another run stored the key meanwhile.
/// </summary>
internal readonly record struct FactoryMember<T>(CacheKey Key, FlightKey FlightKey, Flight<T> Flight, EntryRead<T> Previous, long Generation = -1);
