namespace CacheSerial.Internal;

/// <summary>The answer to a lock acquire: whether the store answered, and the token when the lock was taken.</summary>
internal readonly record struct LockAnswer(bool Answered, string? Token);
