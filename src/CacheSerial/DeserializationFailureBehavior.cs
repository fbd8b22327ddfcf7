namespace CacheSerial;

/// <summary>What a read does with an entry it rejects.</summary>
public enum DeserializationFailureBehavior
{
    /// <summary>Log it and treat it as a miss; get-or-create then regenerates and overwrites it. The default.</summary>
    TreatAsMiss = 0,

    /// <summary>Log it and throw <see cref="CacheEntryRejectedException"/>: for diagnosis, not for production.</summary>
    Throw = 1,
}
