namespace CacheSerial.Internal;

/// <summary>A public operation, by its activity name and its <c>cacheserial.operation</c> tag.</summary>
internal enum CacheOperation : byte
{
    Get,
    GetOrCreate,
    Set,
    Remove,
    Refresh,
    GetMany,
    SetMany,
    GetOrCreateMany,
    RemoveByTag,
    Clear,
}
