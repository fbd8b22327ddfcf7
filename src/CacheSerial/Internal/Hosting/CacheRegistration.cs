namespace CacheSerial.Internal;

/// <summary>One <c>AddCacheSerial</c>/<c>AddKeyedCacheSerial</c> call, recorded so that a second call for the same cache is caught.</summary>
internal sealed record CacheRegistration(string OptionsName);
