using System.Runtime.CompilerServices;

namespace CacheSerial.Internal;

/// <summary>
/// Resolves per-call options once per options instance (they are immutable) and remembers the result, so a call site
/// that keeps its options in a field pays for the merge once.
/// </summary>
internal sealed class EntryPolicyResolver(CacheEntryOptions defaults)
{
    private readonly ConditionalWeakTable<CacheEntryOptions, EntryPolicy> _resolved = new();

    public EntryPolicy Default { get; } = EntryPolicy.Create(null, defaults);

    public EntryPolicy Resolve(CacheEntryOptions? call)
    {
        if (call is null)
        {
            return Default;
        }

        if (_resolved.TryGetValue(call, out var policy))
        {
            return policy;
        }

        policy = EntryPolicy.Create(call, defaults); // validates: an invalid instance throws at every call, never cached
        _resolved.AddOrUpdate(call, policy);
        return policy;
    }
}
