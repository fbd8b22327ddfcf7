namespace CacheSerial.Internal;

/// <summary>Whether one named cache has a memory tier, and the types the application said can be shared.</summary>
internal sealed class MemoryTierRegistration
{
    public bool Enabled { get; set; }

    public HashSet<Type> SharedTypes { get; } = [];
}
