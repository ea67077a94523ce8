//! The built-in functions: one table, one row each, with everything the language knows about a
//! function apart from what it does: its name, arity, what each argument must be (including
//! which one is a `v => …` function), its result type and whether an absent argument reaches
//! it. The checker (`check::calls`) and the evaluator read this table; the behaviour of each
//! function lives in `ward-engine`'s `builtins.rs`.

/// What an argument of a built-in must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgType {
    /// Any value: not checked.
    Any,
    /// A list.
    List,
    /// A string.
    Str,
    /// A number.
    Num,
    /// A resource type written as itself: `AWS::EC2::SecurityGroup`.
    Type,
    /// A `v => …` function whose body is a boolean, applied to each element of the first argument.
    Predicate,
    /// A `v => …` function with a body of any type, applied to each element of the first argument.
    Function,
}

impl ArgType {
    /// Whether the argument is written `v => …`.
    pub fn is_function(self) -> bool {
        matches!(self, ArgType::Predicate | ArgType::Function)
    }
}

/// The type of a built-in's result, where it may depend on the arguments' types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returns {
    Bool,
    Num,
    Str,
    /// Anything: not known before evaluation.
    Any,
    /// A list of strings.
    ListOfStr,
    /// A list of anything.
    ListOfAny,
    /// The first argument's type (`filter` keeps a list of the same elements).
    First,
    /// An element of the first argument, a list.
    ElementOfFirst,
    /// A list of what the function argument's body is (`map`).
    ListOfFunctionBody,
    /// The first argument, a list of lists, one level flatter.
    FlattenedFirst,
    /// The first argument if it is a list, otherwise a list of anything (`concat`).
    FirstIfList,
    /// The first argument if it is a list, otherwise a list of it (`as_list`).
    FirstAsList,
    /// The first or the second argument (`default`).
    FirstOrSecond,
    /// A resource of the type the first argument names.
    ResourceOfType,
    /// A list of resources of the type the first argument names.
    ResourcesOfType,
    /// A resource of any type.
    AnyResource,
}

/// What a built-in does with an absent argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Absent {
    /// The call is absent when an argument is (the evaluator never calls the function).
    Propagates,
    /// The function is called with the absent value and decides (`exists`, `default`).
    Accepted,
}

/// One row of the table.
#[derive(Debug)]
pub struct Signature {
    pub name: &'static str,
    /// Fewest arguments.
    pub min: usize,
    /// Most arguments ([`MANY`]: any number).
    pub max: usize,
    /// What each argument must be, by position.
    pub args: &'static [ArgType],
    /// What arguments after those in `args` must be; they are checked even beyond `max`, next
    /// to the arity error, so that each argument's problem is reported.
    pub extra: ArgType,
    pub returns: Returns,
    pub absent: Absent,
}

/// Any number of arguments.
pub const MANY: usize = usize::MAX;

/// A row per function. Every column is required: a row that leaves one out matches no rule
/// of the macro and does not compile, and the enum is made from the rows, so there is no
/// `Builtin` without one.
macro_rules! builtins {
    ($(
        $variant:ident = $name:literal, $min:literal ..= $max:tt,
        [$($arg:ident,)* ..$extra:ident], $returns:ident, $absent:ident;
    )*) => {
        /// A built-in function.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Builtin { $($variant),* }

        impl Builtin {
            pub const ALL: &'static [Builtin] = &[$(Builtin::$variant),*];

            /// The function's row of the table.
            pub fn signature(self) -> &'static Signature {
                match self {
                    $(Builtin::$variant => &Signature {
                        name: $name,
                        min: $min,
                        max: $max,
                        args: &[$(ArgType::$arg),*],
                        extra: ArgType::$extra,
                        returns: Returns::$returns,
                        absent: Absent::$absent,
                    }),*
                }
            }
        }
    };
}

builtins! {
    // name                          arity      arguments, `..` what further ones must be   result                absent
    Count = "count",                 1..=2,     [List, Predicate, ..Any],                   Num,                  Propagates;
    Any = "any",                     2..=2,     [List, Predicate, ..Any],                   Bool,                 Propagates;
    All = "all",                     2..=2,     [List, Predicate, ..Any],                   Bool,                 Propagates;
    None = "none",                   2..=2,     [List, Predicate, ..Any],                   Bool,                 Propagates;
    Filter = "filter",               2..=2,     [List, Predicate, ..Any],                   First,                Propagates;
    Map = "map",                     2..=2,     [List, Function, ..Any],                    ListOfFunctionBody,   Propagates;
    SortBy = "sort_by",              2..=2,     [List, Function, ..Any],                    First,                Propagates;
    GroupBy = "group_by",            2..=2,     [List, Function, ..Any],                    Any,                  Propagates;
    First = "first",                 1..=1,     [List, ..Any],                              ElementOfFirst,       Propagates;
    Last = "last",                   1..=1,     [List, ..Any],                              ElementOfFirst,       Propagates;
    Flatten = "flatten",             1..=1,     [List, ..Any],                              FlattenedFirst,       Propagates;
    Distinct = "distinct",           1..=1,     [List, ..Any],                              First,                Propagates;
    Concat = "concat",               1..=MANY,  [..List],                                   FirstIfList,          Propagates;
    Sum = "sum",                     1..=1,     [List, ..Any],                              Num,                  Propagates;
    Min = "min",                     1..=1,     [List, ..Any],                              Num,                  Propagates;
    Max = "max",                     1..=1,     [List, ..Any],                              Num,                  Propagates;
    Len = "len",                     1..=1,     [Any, ..Any],                               Num,                  Propagates;
    Keys = "keys",                   1..=1,     [Any, ..Any],                               ListOfStr,            Propagates;
    Values = "values",               1..=1,     [Any, ..Any],                               ListOfAny,            Propagates;
    Get = "get",                     2..=2,     [Any, Any, ..Any],                          Any,                  Propagates;
    AsList = "as_list",              1..=1,     [Any, ..Any],                               FirstAsList,          Accepted;
    Exists = "exists",               1..=1,     [Any, ..Any],                               Bool,                 Accepted;
    Default = "default",             2..=2,     [Any, Any, ..Any],                          FirstOrSecond,        Accepted;
    Bool = "bool",                   1..=1,     [Any, ..Any],                               Bool,                 Propagates;
    Number = "number",               1..=1,     [Any, ..Any],                               Num,                  Propagates;
    String = "string",               1..=1,     [Any, ..Any],                               Str,                  Propagates;
    Lower = "lower",                 1..=1,     [Str, ..Str],                               Str,                  Propagates;
    Upper = "upper",                 1..=1,     [Str, ..Str],                               Str,                  Propagates;
    Trim = "trim",                   1..=1,     [Str, ..Str],                               Str,                  Propagates;
    StartsWith = "starts_with",      2..=2,     [Str, Str, ..Str],                          Bool,                 Propagates;
    EndsWith = "ends_with",          2..=2,     [Str, Str, ..Str],                          Bool,                 Propagates;
    Contains = "contains",           2..=2,     [Any, Any, ..Any],                          Bool,                 Propagates;
    Split = "split",                 2..=2,     [Str, Str, ..Str],                          ListOfStr,            Propagates;
    Join = "join",                   2..=2,     [List, Str, ..Any],                         Str,                  Propagates;
    Matches = "matches",             2..=2,     [Str, Str, ..Str],                          Bool,                 Propagates;
    Wildcard = "wildcard",           2..=2,     [Str, Str, ..Str],                          Bool,                 Propagates;
    IsWorld = "is_world",            1..=1,     [Str, ..Str],                               Bool,                 Propagates;
    CidrContains = "cidr_contains",  2..=2,     [Str, Str, ..Str],                          Bool,                 Propagates;
    IsPrivateCidr = "is_private_cidr", 1..=1,   [Str, ..Str],                               Bool,                 Propagates;
    ProtocolMatches = "protocol_matches", 2..=2, [Str, Str, ..Str],                         Bool,                 Propagates;
    PortInRange = "port_in_range",   4..=4,     [Num, Any, Num, Num, ..Any],                Bool,                 Accepted;
    RangesOverlap = "ranges_overlap", 4..=4,    [Num, Num, Num, Num, ..Num],                Bool,                 Propagates;
    Statements = "statements",       1..=1,     [Any, ..Any],                               ListOfAny,            Propagates;
    ActionMatches = "action_matches", 2..=2,    [Any, Str, ..Any],                          Bool,                 Propagates;
    GrantedActions = "granted_actions", 2..=2,  [Any, List, ..Any],                         ListOfStr,            Accepted;
    Allows = "allows",               3..=3,     [Any, Str, Str, ..Any],                     Bool,                 Propagates;
    Now = "now",                     0..=0,     [..Any],                                    Str,                  Propagates;
    AgeDays = "age_days",            1..=1,     [Any, ..Any],                               Num,                  Propagates;
    DaysBetween = "days_between",    2..=2,     [Any, Any, ..Any],                          Num,                  Propagates;
    AgeHours = "age_hours",          1..=1,     [Any, ..Any],                               Num,                  Propagates;
    HoursBetween = "hours_between",  2..=2,     [Any, Any, ..Any],                          Num,                  Propagates;
    TypeOf = "type_of",              1..=1,     [Any, ..Any],                               Str,                  Propagates;
    ParseJson = "parse_json",        1..=1,     [Str, ..Str],                               Any,                  Propagates;
    AwsManagedPolicy = "aws_managed_policy", 1..=1, [Str, ..Str],                            Any,                  Propagates;
    Lookup = "lookup",               2..=2,     [Type, Str, ..Any],                         ResourceOfType,       Propagates;
    LookupArn = "lookup_arn",        1..=1,     [Str, ..Str],                               AnyResource,          Propagates;
    Related = "related",             1..=1,     [Type, ..Any],                              ResourcesOfType,      Propagates;
    Resources = "resources",         1..=1,     [Type, ..Any],                              ResourcesOfType,      Propagates;
    AllResources = "all_resources",  1..=1,     [Type, ..Any],                              ResourcesOfType,      Propagates;
}

impl Builtin {
    pub fn by_name(name: &str) -> Option<Builtin> {
        Builtin::ALL.iter().copied().find(|b| b.name() == name)
    }

    pub fn name(self) -> &'static str {
        self.signature().name
    }

    /// Fewest and most arguments ([`MANY`]: any number).
    pub fn arity(self) -> (usize, usize) {
        let s = self.signature();
        (s.min, s.max)
    }

    /// What the argument at `position` must be.
    pub fn arg_type(self, position: usize) -> ArgType {
        let s = self.signature();
        s.args.get(position).copied().unwrap_or(s.extra)
    }

    /// The position of the `v => …` argument, if the function takes one.
    pub fn lambda_position(self) -> Option<usize> {
        self.signature().args.iter().position(|a| a.is_function())
    }

    /// Whether the `v => …` argument's body must be a boolean.
    pub fn takes_predicate(self) -> bool {
        self.signature().args.contains(&ArgType::Predicate)
    }

    /// Whether the lambda argument is optional (`count(xs)` and `count(xs, f)`): it comes
    /// after the arguments every call has.
    pub fn lambda_optional(self) -> bool {
        self.lambda_position()
            .is_some_and(|p| p >= self.signature().min)
    }

    /// Functions that accept absent arguments instead of propagating absence.
    pub fn accepts_absent(self) -> bool {
        self.signature().absent == Absent::Accepted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found_by_name() {
        for b in Builtin::ALL {
            assert_eq!(Builtin::by_name(b.name()), Some(*b), "{b:?}");
            assert!(
                b.name().chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{b:?}"
            );
        }
    }

    #[test]
    fn each_row_is_consistent_with_its_arity() {
        for b in Builtin::ALL {
            let s = b.signature();
            assert!(s.min <= s.max, "{b:?}: arity {}..={}", s.min, s.max);
            assert!(
                s.args.len() <= s.max,
                "{b:?}: {} argument types for at most {} arguments",
                s.args.len(),
                s.max
            );
            // A function that takes any number of arguments says what they are in `extra`;
            // the others list every argument they take.
            if s.max == MANY {
                assert!(s.args.len() <= s.min, "{b:?}");
            } else {
                assert_eq!(s.args.len(), s.max, "{b:?}: a type for each argument");
            }
        }
    }

    #[test]
    fn a_function_argument_is_one_and_comes_after_a_list() {
        for b in Builtin::ALL {
            let s = b.signature();
            assert!(!s.extra.is_function(), "{b:?}: a function among `extra`");
            let functions = s.args.iter().filter(|a| a.is_function()).count();
            assert!(functions <= 1, "{b:?}: {functions} function arguments");
            if let Some(p) = b.lambda_position() {
                // The function is applied to the elements of the first argument.
                assert!(p >= 1, "{b:?}");
                assert_eq!(b.arg_type(0), ArgType::List, "{b:?}");
            }
            // Results that are computed from the function's body need one.
            if s.returns == Returns::ListOfFunctionBody {
                assert!(b.lambda_position().is_some(), "{b:?}");
            }
        }
    }

    #[test]
    fn results_that_read_an_argument_have_it() {
        for b in Builtin::ALL {
            let s = b.signature();
            let needs = match s.returns {
                Returns::First
                | Returns::ElementOfFirst
                | Returns::FlattenedFirst
                | Returns::FirstIfList
                | Returns::FirstAsList
                | Returns::ResourceOfType
                | Returns::ResourcesOfType => 1,
                Returns::FirstOrSecond => 2,
                _ => 0,
            };
            assert!(s.min >= needs, "{b:?}: its result reads argument {needs}");
            if matches!(
                s.returns,
                Returns::ResourceOfType | Returns::ResourcesOfType
            ) {
                assert_eq!(b.arg_type(0), ArgType::Type, "{b:?}");
            }
        }
    }

    #[test]
    fn the_optional_function_is_counts() {
        let optional: Vec<Builtin> = Builtin::ALL
            .iter()
            .copied()
            .filter(|b| b.lambda_optional())
            .collect();
        assert_eq!(optional, [Builtin::Count]);
    }

    #[test]
    fn every_function_is_documented_next_to_the_grammar() {
        let reference = include_str!("../../../grammar/README.md");
        for b in Builtin::ALL {
            let name = b.name();
            assert!(
                reference.contains(&format!("`{name}("))
                    || reference.contains(&format!("`{name}`")),
                "`{name}` is not in grammar/README.md's function tables"
            );
        }
    }
}
