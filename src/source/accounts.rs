//! Several accounts as one session: each panel's read fans out over the accounts, every row is
//! tagged with the account it was read in, and the answers fold into one view the way a
//! source folds its regions (`aws::by_place`): an account that cannot be read (its role
//! refused, its session expired) is an unreadable place of its own, showing its last rows if
//! it had any, while the others carry on. Actions go to the executor of the account their row
//! lives in.

use super::{
    Executor, History, Identity, LogSource, SampleSource, Session, Source, SourceError, Sources,
};
use crate::action::{Done, Failed, Mutation};
use crate::model::{
    AccountRef, DnsView, InstancesView, RuleSamples, Scope, TargetsView, Unreadable, WafView,
};
use chrono::{DateTime, Utc};
use futures::future::{BoxFuture, join_all};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A panel's view read in one account, made to say so.
pub trait Accountable: Clone + Default + Send + Sync + 'static {
    /// Tags every row with `account` and names the account in each unreadable place.
    fn tag(&mut self, account: &AccountRef);
    /// Appends another account's view (already tagged).
    fn join(&mut self, other: Self);
    fn unreadable_mut(&mut self) -> &mut Vec<Unreadable>;
}

fn tag_places(places: &mut [Unreadable], account: &AccountRef) {
    for u in places {
        u.place = format!("{} {}", account.label(), u.place);
        u.account = Some(account.clone());
    }
}

impl Accountable for TargetsView {
    fn tag(&mut self, account: &AccountRef) {
        for lb in &mut self.load_balancers {
            lb.account = Some(account.clone());
        }
        tag_places(&mut self.unreadable, account);
    }
    fn join(&mut self, other: Self) {
        self.load_balancers.extend(other.load_balancers);
        self.unreadable.extend(other.unreadable);
    }
    fn unreadable_mut(&mut self) -> &mut Vec<Unreadable> {
        &mut self.unreadable
    }
}

impl Accountable for WafView {
    fn tag(&mut self, account: &AccountRef) {
        for acl in &mut self.acls {
            acl.account = Some(account.clone());
        }
        for set in &mut self.ip_sets {
            set.account = Some(account.clone());
        }
        tag_places(&mut self.unreadable, account);
    }
    fn join(&mut self, other: Self) {
        self.window_minutes = self.window_minutes.max(other.window_minutes);
        self.acls.extend(other.acls);
        self.ip_sets.extend(other.ip_sets);
        // Every account's own addresses are ours: no account's console blocks another's NAT.
        self.own_ranges.extend(other.own_ranges);
        self.unreadable.extend(other.unreadable);
    }
    fn unreadable_mut(&mut self) -> &mut Vec<Unreadable> {
        &mut self.unreadable
    }
}

impl Accountable for DnsView {
    fn tag(&mut self, account: &AccountRef) {
        for zone in &mut self.zones {
            zone.account = Some(account.clone());
        }
        tag_places(&mut self.unreadable, account);
    }
    fn join(&mut self, other: Self) {
        self.zones.extend(other.zones);
        self.unreadable.extend(other.unreadable);
    }
    fn unreadable_mut(&mut self) -> &mut Vec<Unreadable> {
        &mut self.unreadable
    }
}

impl Accountable for InstancesView {
    fn tag(&mut self, account: &AccountRef) {
        for i in &mut self.instances {
            i.account = Some(account.clone());
        }
        tag_places(&mut self.unreadable, account);
    }
    fn join(&mut self, other: Self) {
        self.instances.extend(other.instances);
        self.unreadable.extend(other.unreadable);
    }
    fn unreadable_mut(&mut self) -> &mut Vec<Unreadable> {
        &mut self.unreadable
    }
}

/// One account's session, with the account it reads.
pub struct AccountSession {
    pub account: AccountRef,
    pub session: Session,
}

/// The accounts as one session (`None` for no account). `identity` is who the console is
/// before any role is assumed (the base credentials); the scope lists the accounts and every
/// region any of them watches. The team's store, the undo store and the tails of the first
/// account's session serve the whole console.
pub fn across(
    identity: Arc<dyn Source<Identity>>,
    accounts: Vec<AccountSession>,
) -> Option<Session> {
    let first = accounts.first()?.session.clone();
    let accounts_list: Vec<AccountRef> = accounts.iter().map(|a| a.account.clone()).collect();
    let mut regions: Vec<String> = Vec::new();
    for a in &accounts {
        for r in &a.session.sources.scope.regions {
            if !regions.contains(r) {
                regions.push(r.clone());
            }
        }
    }
    let scope = Scope {
        regions,
        accounts: accounts_list,
        ..first.sources.scope.clone()
    };
    let targets = Across::new(each(&accounts, |s| s.targets.clone()));
    let acls = Arc::new(Mutex::new(HashMap::new()));
    let acls_for_changes = acls.clone();
    let waf = Across::new(each(&accounts, |s| s.waf.clone())).remembering_acls(acls.clone());
    let dns = Across::new(each(&accounts, |s| s.dns.clone()));
    let instances = Across::new(each(&accounts, |s| s.instances.clone()));
    let samples = SamplesAcross {
        parts: accounts
            .iter()
            .map(|a| (a.account.id.clone(), a.session.sources.samples.clone()))
            .collect(),
        acls,
    };
    let logs: Vec<Arc<dyn LogSource>> = accounts
        .iter()
        .flat_map(|a| a.session.sources.logs.iter().cloned())
        .collect();
    let executors: Vec<(AccountRef, Arc<dyn Executor>)> = accounts
        .iter()
        .filter_map(|a| Some((a.account.clone(), a.session.executor.clone()?)))
        .collect();
    let histories: Vec<(AccountRef, Arc<dyn History>)> = accounts
        .iter()
        .filter_map(|a| Some((a.account.clone(), a.session.history.clone()?)))
        .collect();
    let tells_who = histories.iter().any(|(_, h)| h.tells_who());
    Some(Session {
        sources: Sources {
            scope,
            identity,
            targets: Arc::new(targets),
            waf: Arc::new(waf),
            samples: Arc::new(samples),
            dns: Arc::new(dns),
            instances: Arc::new(instances),
            logs,
        },
        executor: (!executors.is_empty()).then(|| {
            Arc::new(ExecutorAcross {
                executors,
                acls: acls_for_changes,
            }) as Arc<dyn Executor>
        }),
        history: (!histories.is_empty()).then(|| {
            Arc::new(HistoryAcross {
                histories,
                tells_who,
            }) as Arc<dyn History>
        }),
        ..first
    })
}

/// One panel's source in every account, with the account.
fn each<T>(
    accounts: &[AccountSession],
    pick: impl Fn(&Sources) -> Arc<dyn Source<T>>,
) -> Vec<(AccountRef, Arc<dyn Source<T>>)> {
    (accounts.iter())
        .map(|a| (a.account.clone(), pick(&a.session.sources)))
        .collect()
}

/// When each account's view was last read, and what it held: shown beside its error while it
/// cannot be read.
type LastRead<T> = Mutex<HashMap<String, (DateTime<Utc>, T)>>;

/// One panel's source over every account.
struct Across<T> {
    parts: Vec<(AccountRef, Arc<dyn Source<T>>)>,
    last: LastRead<T>,
    /// The WAF's: which account each web ACL id was read in, for its sampled requests.
    acls: Option<Arc<Mutex<HashMap<String, String>>>>,
}

impl<T: Accountable> Across<T> {
    fn new(parts: Vec<(AccountRef, Arc<dyn Source<T>>)>) -> Self {
        Across {
            parts,
            last: Mutex::new(HashMap::new()),
            acls: None,
        }
    }
}

impl Across<WafView> {
    fn remembering_acls(mut self, acls: Arc<Mutex<HashMap<String, String>>>) -> Self {
        self.acls = Some(acls);
        self
    }
}

/// What a WAF view tells about where its ACLs live; nothing for the other panels.
trait AclHomes {
    fn acl_homes(&self) -> Vec<(String, String)> {
        Vec::new()
    }
}
impl AclHomes for TargetsView {}
impl AclHomes for DnsView {}
impl AclHomes for InstancesView {}
impl AclHomes for WafView {
    fn acl_homes(&self) -> Vec<(String, String)> {
        self.acls
            .iter()
            .filter_map(|a| Some((a.id.clone(), a.account.as_ref()?.id.clone())))
            .collect()
    }
}

impl<T: Accountable + AclHomes> Source<T> for Across<T> {
    fn fetch(&self) -> BoxFuture<'_, Result<T, SourceError>> {
        Box::pin(async move {
            let answers = join_all(
                self.parts
                    .iter()
                    .map(|(account, source)| async move { (account, source.fetch().await) }),
            )
            .await;
            let mut joined = T::default();
            let mut refused = Vec::new();
            let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
            for (account, answer) in answers {
                match answer {
                    Ok(mut view) => {
                        view.tag(account);
                        last.insert(account.id.clone(), (Utc::now(), view.clone()));
                        joined.join(view);
                    }
                    Err(e) => {
                        let kept = last.get(&account.id);
                        let data_from = kept.map(|(at, _)| *at);
                        if let Some((_, view)) = kept {
                            let mut view = view.clone();
                            // Its own places' errors are old news beside the account's.
                            view.unreadable_mut().clear();
                            joined.join(view);
                        }
                        joined.unreadable_mut().push(Unreadable {
                            place: account.label(),
                            error: e.message.clone(),
                            data_from,
                            account: Some(account.clone()),
                        });
                        refused.push((account, e));
                    }
                }
            }
            drop(last);
            if let Some(acls) = &self.acls {
                let mut acls = acls.lock().unwrap_or_else(|e| e.into_inner());
                acls.extend(joined.acl_homes());
            }
            if !refused.is_empty() && refused.len() == self.parts.len() {
                let kind = refused[0].1.kind;
                let why: Vec<String> = refused
                    .iter()
                    .map(|(a, e)| format!("{}: {}", a.label(), e.message))
                    .collect();
                return Err(SourceError::new(kind, why.join("; ")));
            }
            Ok(joined)
        })
    }

    fn min_interval(&self) -> Option<std::time::Duration> {
        self.parts
            .iter()
            .filter_map(|(_, s)| s.min_interval())
            .max()
    }
}

/// Sampled requests are asked of the account the web ACL was read in.
struct SamplesAcross {
    parts: Vec<(String, Arc<dyn SampleSource>)>,
    acls: Arc<Mutex<HashMap<String, String>>>,
}

impl SampleSource for SamplesAcross {
    fn sampled_requests<'a>(
        &'a self,
        acl_id: &'a str,
        rule: &'a str,
    ) -> BoxFuture<'a, Result<RuleSamples, SourceError>> {
        let home = self
            .acls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(acl_id)
            .cloned();
        let source = self
            .parts
            .iter()
            .find(|(id, _)| Some(id) == home.as_ref())
            .map(|(_, s)| s.clone());
        Box::pin(async move {
            match source {
                Some(s) => s.sampled_requests(acl_id, rule).await,
                None => Err(SourceError::new(
                    super::ErrorKind::NotFound,
                    format!("web ACL {acl_id} was not read in any watched account"),
                )),
            }
        })
    }
}

/// Each mutation goes to the executor of the account its row was read in, and nowhere else.
struct ExecutorAcross {
    executors: Vec<(AccountRef, Arc<dyn Executor>)>,
    /// Which account each web ACL id was read in.
    acls: Arc<Mutex<HashMap<String, String>>>,
}

impl ExecutorAcross {
    /// The account a change is for: the one its row carried; for a change made before several
    /// accounts were watched (an undo still pending), the account its ARN names, or the one its
    /// web ACL was read in.
    fn home_of(&self, mutation: &Mutation) -> Option<String> {
        if let Some(account) = mutation.account() {
            return Some(account.id.clone());
        }
        let arn_account = |arn: &str| crate::source::aws::tasks::account_of(arn);
        match mutation {
            Mutation::Drain { target } | Mutation::Register { target } => {
                arn_account(&target.target_group_arn)
            }
            Mutation::Block { set, .. } | Mutation::Unblock { set, .. } => arn_account(&set.arn),
            Mutation::SetRule { rule, .. } => self
                .acls
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&rule.acl_id)
                .cloned(),
        }
    }
}

impl Executor for ExecutorAcross {
    fn execute<'a>(&'a self, mutation: &'a Mutation) -> BoxFuture<'a, Result<Done, Failed>> {
        let executor = match self.home_of(mutation) {
            Some(id) => self
                .executors
                .iter()
                .find(|(a, _)| a.id == id)
                .map(|(_, e)| e.clone())
                .ok_or_else(|| {
                    let label = mutation.account().map_or(id.clone(), AccountRef::label);
                    format!("{label} is not a watched account: nothing was changed")
                }),
            None => Err(format!(
                "{}: the change does not say which account it is for, and this console watches {} accounts: nothing was changed",
                mutation.summary(),
                self.executors.len()
            )),
        };
        Box::pin(async move {
            match executor {
                Ok(e) => e.execute(mutation).await,
                Err(why) => Err(Failed::new(why)),
            }
        })
    }
}

/// Every account's history, each asked for its own window; a refusal in one is said with its
/// account and the others still answer.
struct HistoryAcross {
    histories: Vec<(AccountRef, Arc<dyn History>)>,
    tells_who: bool,
}

impl History for HistoryAcross {
    fn explain<'a>(
        &'a self,
        window: chrono::Duration,
        timeline: &'a mut Vec<crate::timeline::Entry>,
    ) -> BoxFuture<'a, Result<Option<String>, SourceError>> {
        Box::pin(async move {
            let mut notes = Vec::new();
            let mut failures = Vec::new();
            for (account, history) in &self.histories {
                // Each account's history explains its own account's changes only: a call in
                // one account never says who changed another's resource of the same id.
                let (mut own, others): (Vec<_>, Vec<_>) = std::mem::take(timeline)
                    .into_iter()
                    .partition(|e| e.account.as_deref() == Some(account.id.as_str()));
                *timeline = others;
                let answer = history.explain(window, &mut own).await;
                for e in &mut own {
                    e.account.get_or_insert_with(|| account.id.clone());
                }
                timeline.extend(own);
                match answer {
                    Ok(Some(note)) => notes.push(format!("{}: {note}", account.label())),
                    Ok(None) => {}
                    Err(e) => failures.push(format!("{}: {}", account.label(), e.message)),
                }
            }
            timeline.sort_by_key(|e| e.time);
            if !failures.is_empty() && failures.len() == self.histories.len() {
                return Err(SourceError::new(
                    super::ErrorKind::Other,
                    failures.join("; "),
                ));
            }
            notes.extend(failures);
            Ok((!notes.is_empty()).then(|| notes.join("; ")))
        })
    }

    fn tells_who(&self) -> bool {
        self.tells_who
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Instance;

    fn account(name: &str, id: &str) -> AccountRef {
        AccountRef {
            id: id.into(),
            name: name.into(),
        }
    }

    /// A source whose answers are set by the test: `None` fails like a refused role.
    struct Scripted(Mutex<Option<InstancesView>>);

    impl Source<InstancesView> for Scripted {
        fn fetch(&self) -> BoxFuture<'_, Result<InstancesView, SourceError>> {
            let answer = self.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
            Box::pin(async move {
                answer.ok_or_else(|| {
                    SourceError::new(
                        crate::source::ErrorKind::AccessDenied,
                        "cannot assume arn:aws:iam::333333333333:role/Ops: AccessDenied",
                    )
                })
            })
        }
    }

    fn instance(id: &str) -> Instance {
        Instance {
            id: id.into(),
            name: None,
            instance_type: "t3.micro".into(),
            az: "eu-west-1a".into(),
            region: "eu-west-1".into(),
            account: None,
            private_ip: None,
            public_ip: None,
            state: "running".into(),
            system_status: crate::model::CheckStatus::Ok,
            instance_status: crate::model::CheckStatus::Ok,
            events: vec![],
        }
    }

    fn view(ids: &[&str]) -> InstancesView {
        InstancesView {
            instances: ids.iter().map(|i| instance(i)).collect(),
            unreadable: vec![],
        }
    }

    #[tokio::test]
    async fn each_row_carries_its_account_and_a_refused_account_fails_alone() {
        let prod = Arc::new(Scripted(Mutex::new(Some(view(&["i-prod"])))));
        let stage = Arc::new(Scripted(Mutex::new(Some(view(&["i-stage"])))));
        let across = Across::new(vec![
            (
                account("prod", "222222222222"),
                prod.clone() as Arc<dyn Source<_>>,
            ),
            (
                account("stage", "333333333333"),
                stage.clone() as Arc<dyn Source<_>>,
            ),
        ]);
        let read: InstancesView = across.fetch().await.unwrap_or_default();
        let homes: Vec<(&str, Option<&str>)> = read
            .instances
            .iter()
            .map(|i| (i.id.as_str(), i.account.as_ref().map(|a| a.name.as_str())))
            .collect();
        assert_eq!(
            homes,
            [("i-prod", Some("prod")), ("i-stage", Some("stage"))]
        );
        assert!(read.unreadable.is_empty());

        // stage's role is refused from now on: its last rows stay, said unreadable with why.
        *stage.0.lock().unwrap_or_else(|e| e.into_inner()) = None;
        let read: InstancesView = across.fetch().await.unwrap_or_default();
        assert_eq!(read.instances.len(), 2, "stage's last rows are kept");
        assert_eq!(read.unreadable.len(), 1);
        assert_eq!(read.unreadable[0].place, "stage (333333333333)");
        assert!(read.unreadable[0].error.contains("cannot assume"));
        assert!(read.unreadable[0].data_from.is_some());

        // Every account refused: the panel's error names each.
        *prod.0.lock().unwrap_or_else(|e| e.into_inner()) = None;
        let err = across
            .fetch()
            .await
            .err()
            .map(|e| e.message)
            .unwrap_or_default();
        assert!(
            err.starts_with("prod (222222222222): cannot assume"),
            "{err}"
        );
        assert!(
            err.contains("; stage (333333333333): cannot assume"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn an_account_never_read_is_said_with_no_rows() {
        let stage = Arc::new(Scripted(Mutex::new(None)));
        let prod = Arc::new(Scripted(Mutex::new(Some(view(&["i-prod"])))));
        let across = Across::new(vec![
            (account("prod", "222222222222"), prod as Arc<dyn Source<_>>),
            (
                account("stage", "333333333333"),
                stage as Arc<dyn Source<_>>,
            ),
        ]);
        let read: InstancesView = across.fetch().await.unwrap_or_default();
        assert_eq!(read.instances.len(), 1);
        assert_eq!(read.unreadable[0].data_from, None);
    }

    /// Records what it was asked to do.
    struct Recording(Mutex<Vec<String>>);

    impl Executor for Recording {
        fn execute<'a>(&'a self, m: &'a Mutation) -> BoxFuture<'a, Result<Done, Failed>> {
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(m.summary());
            Box::pin(async { Ok(Done::new("done")) })
        }
    }

    fn drain(account: Option<AccountRef>) -> Mutation {
        Mutation::Drain {
            target: crate::action::TargetRef {
                region: "eu-west-1".into(),
                account,
                load_balancer: "web".into(),
                target_group: "web-tg".into(),
                target_group_arn:
                    "arn:aws:elasticloadbalancing:eu-west-1:333333333333:targetgroup/web-tg/1"
                        .into(),
                id: "i-stage".into(),
                name: None,
                port: 80,
                az: None,
                registration: Default::default(),
            },
        }
    }

    #[tokio::test]
    async fn a_change_goes_to_its_own_account_only() {
        let prod = Arc::new(Recording(Mutex::new(vec![])));
        let stage = Arc::new(Recording(Mutex::new(vec![])));
        let exec = ExecutorAcross {
            executors: vec![
                (
                    account("prod", "222222222222"),
                    prod.clone() as Arc<dyn Executor>,
                ),
                (
                    account("stage", "333333333333"),
                    stage.clone() as Arc<dyn Executor>,
                ),
            ],
            acls: Default::default(),
        };
        assert!(
            exec.execute(&drain(Some(account("stage", "333333333333"))))
                .await
                .is_ok()
        );
        assert_eq!(stage.0.lock().map(|v| v.len()).unwrap_or(0), 1);
        assert_eq!(prod.0.lock().map(|v| v.len()).unwrap_or(9), 0);
        // An account not watched: refused, nothing sent anywhere.
        let other = exec
            .execute(&drain(Some(account("qa", "444444444444"))))
            .await;
        assert!(other.is_err());
        assert_eq!(stage.0.lock().map(|v| v.len()).unwrap_or(0), 1);
        assert_eq!(prod.0.lock().map(|v| v.len()).unwrap_or(9), 0);
        // An undo scheduled before several accounts were watched names none: its group's
        // ARN says where it goes (stage's), and nowhere else.
        assert!(exec.execute(&drain(None)).await.is_ok());
        assert_eq!(stage.0.lock().map(|v| v.len()).unwrap_or(0), 2);
        assert_eq!(prod.0.lock().map(|v| v.len()).unwrap_or(9), 0);
        // A rule change naming none goes where its web ACL was read; unknown: refused.
        let rule = |acl: &str| Mutation::SetRule {
            rule: crate::action::RuleRef {
                region: "eu-west-1".into(),
                account: None,
                scope: crate::model::WafScope::Regional,
                acl_name: "web".into(),
                acl_id: acl.into(),
                rule: "r".into(),
            },
            from: crate::model::RuleKind::Plain {
                action: crate::model::RuleAction::Count,
            },
            to: crate::model::RuleKind::Plain {
                action: crate::model::RuleAction::Block,
            },
            until: None,
        };
        if let Ok(mut acls) = exec.acls.lock() {
            acls.insert("acl-p".to_string(), "222222222222".to_string());
        }
        assert!(exec.execute(&rule("acl-p")).await.is_ok());
        assert_eq!(prod.0.lock().map(|v| v.len()).unwrap_or(0), 1);
        let unknown = exec.execute(&rule("acl-x")).await.err().map(|f| f.message);
        assert!(unknown.is_some_and(|m| m.contains("does not say which account")));
        assert_eq!(stage.0.lock().map(|v| v.len()).unwrap_or(0), 2);
    }

    /// Says every change it is given was made by `0`.
    struct Blaming(&'static str);

    impl History for Blaming {
        fn explain<'a>(
            &'a self,
            _window: chrono::Duration,
            timeline: &'a mut Vec<crate::timeline::Entry>,
        ) -> BoxFuture<'a, Result<Option<String>, SourceError>> {
            for e in timeline.iter_mut() {
                e.who = Some(self.0.to_string());
            }
            Box::pin(async { Ok(None) })
        }
    }

    #[tokio::test]
    async fn each_accounts_history_explains_its_own_changes_only() {
        let change = |account: &str, minute: i64| -> crate::timeline::Entry {
            serde_json::from_value(serde_json::json!({
                "time": format!("2026-11-21T10:{minute:02}:00Z"),
                "account": account,
                "region": "eu-west-1",
                "subject": {"name": "10.0.1.5", "id": "10.0.1.5"},
                "what": "target state",
                "who": null,
                "source": "observed",
                "panel": "targets",
                "row": null
            }))
            .unwrap_or_else(|e| panic!("an entry: {e}"))
        };
        let history = HistoryAcross {
            histories: vec![
                (
                    account("prod", "222222222222"),
                    Arc::new(Blaming("prod-deployer")) as Arc<dyn History>,
                ),
                (
                    account("stage", "333333333333"),
                    Arc::new(Blaming("stage-deployer")) as Arc<dyn History>,
                ),
            ],
            tells_who: true,
        };
        let mut timeline = vec![change("333333333333", 1), change("222222222222", 2)];
        let note = history
            .explain(chrono::Duration::hours(1), &mut timeline)
            .await;
        assert!(note.is_ok());
        let who: Vec<(Option<&str>, Option<&str>)> = timeline
            .iter()
            .map(|e| (e.account.as_deref(), e.who.as_deref()))
            .collect();
        assert_eq!(
            who,
            [
                (Some("333333333333"), Some("stage-deployer")),
                (Some("222222222222"), Some("prod-deployer")),
            ]
        );
    }
}
