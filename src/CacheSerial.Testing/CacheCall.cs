namespace CacheSerial.Testing;

/// <summary>
/// One call to the cache, as <see cref="RecordingTypedCache"/> saw it. A bulk call is recorded as one call per distinct key
/// it was given, in the order of its keys.
/// </summary>
/// <param name="Operation">What was called.</param>
/// <param name="Key">The caller's key.</param>
/// <param name="Outcome">What the read found; <see cref="CacheOutcome.None"/> for calls that do not read.</param>
/// <param name="FactoryRan">Whether this call's own factory ran (a caller that joined another caller's run did not run its own).</param>
public sealed record CacheCall(CacheOperation Operation, string Key, CacheOutcome Outcome, bool FactoryRan);

/// <summary>The <see cref="ITypedCache"/> member a <see cref="CacheCall"/> went through.</summary>
public enum CacheOperation
{
    /// <summary><see cref="ITypedCache.TryGetAsync{T}"/> (and the extensions that forward to it).</summary>
    TryGet,

    /// <summary><see cref="ITypedCache.GetOrCreateAsync{TState, T}"/> (and its overloads).</summary>
    GetOrCreate,

    /// <summary><see cref="ITypedCache.SetAsync{T}"/>.</summary>
    Set,

    /// <summary><see cref="ITypedCache.RemoveAsync"/>.</summary>
    Remove,

    /// <summary><see cref="ITypedCache.RefreshAsync"/>.</summary>
    Refresh,

    /// <summary><see cref="ITypedCache.GetManyAsync{T}"/>: one call per distinct key, with that key's outcome.</summary>
    GetMany,

    /// <summary><see cref="ITypedCache.SetManyAsync{T}"/>: one call per distinct key.</summary>
    SetMany,

    /// <summary>
    /// <see cref="ITypedCache.GetOrCreateManyAsync{TState, T}"/> (and its overloads): one call per distinct key; its factory
    /// ran for the key when this call's batch factory was given that key.
    /// </summary>
    GetOrCreateMany,

    /// <summary><see cref="ITypedCache.RemoveByTagAsync"/>: one call per distinct tag, with the tag as its key.</summary>
    RemoveByTag,

    /// <summary><see cref="ITypedCache.ClearAsync"/>, with an empty key.</summary>
    Clear,
}

/// <summary>What a reading call found.</summary>
public enum CacheOutcome
{
    /// <summary>The call does not read (set, remove, refresh), or it threw.</summary>
    None,

    /// <summary>A fresh value was found (for get-or-create: this call's factory did not run).</summary>
    Hit,

    /// <summary>
    /// Nothing usable was found (for get-or-create: this call's factory ran and its value was returned; for a bulk
    /// get-or-create, also when the batch factory returned no value for the key).
    /// </summary>
    Miss,

    /// <summary>An expired value kept by fail-safe was returned (for get-or-create: the factory ran and failed).</summary>
    Stale,

    /// <summary>A cached negative result was found (a try-get only; get-or-create cannot tell it from a hit).</summary>
    Negative,
}
