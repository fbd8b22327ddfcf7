using System.ComponentModel;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace CacheSerial.Internal;

/// <summary>
/// Which types the memory tier keeps decoded and hands out as the same instance on every hit: those no caller can change
/// through the reference it gets. Strings, enums and value types without references (primitives, <c>DateTime</c>,
/// <c>Guid</c>, ...) always; a type marked <c>[ImmutableObject(true)]</c>; a type the application registered with
/// <c>ShareInstancesOf&lt;T&gt;()</c>. Everything else is kept encoded and decoded per hit.
/// </summary>
internal sealed class SharedTypes(IReadOnlyCollection<Type> registered)
{
    private readonly HashSet<Type> _registered = [.. registered];

    public bool Shares<T>() => Known<T>.ByNature || (_registered.Count != 0 && _registered.Contains(typeof(T)));

    private static class Known<T>
    {
        // A value type without references is copied on return, so no caller can reach the kept one.
        public static readonly bool ByNature = typeof(T) == typeof(string) || !RuntimeHelpers.IsReferenceOrContainsReferences<T>()
            || typeof(T).GetCustomAttribute<ImmutableObjectAttribute>(inherit: false) is { Immutable: true };
    }
}
