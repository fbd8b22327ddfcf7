namespace CacheSerial.Internal;

/// <summary>One type to check, and how (with a created sample or the caller's).</summary>
internal sealed record TypeCheck(Type Type, Func<ICacheCodec, List<string>> Run);
