//! [`Resolver`]: from a component's `get(name)` to a value.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use indexmap::IndexMap;
use kiln_manifest::Variable;

use crate::error::Error;
use kiln_expressions::name;
use crate::provider::Provider;
use kiln_expressions::{Part, Template};

/// Resolves component variables through application variables and
/// providers, with Spin's semantics.
///
/// A component sees only the variables its manifest entry declares
/// (`[component.<id>.variables]`); each is a [`Template`] over application
/// variables (`[variables]`). An application variable's value is the first
/// one a provider returns, in the order given to [`Resolver::new`], else
/// its `default`.
///
/// Nothing is cached here: each lookup asks the providers again, so a value
/// that changes at its source (a rotated Vault secret) reaches the guest;
/// caching, where worthwhile, is each provider's business. Values are never
/// logged, and `Debug` leaves out defaults, which may be secret.
pub struct Resolver {
    variables: IndexMap<String, Variable>,
    providers: Vec<Arc<dyn Provider>>,
    components: HashMap<String, IndexMap<String, Template>>,
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut components: Vec<&String> = self.components.keys().collect();
        components.sort();
        f.debug_struct("Resolver")
            .field("variables", &self.variables.keys().collect::<Vec<_>>())
            .field("providers", &self.providers)
            .field("components", &components)
            .finish()
    }
}

impl Resolver {
    /// A resolver for `app_variables` (the manifest's `[variables]`) asking
    /// `providers` in priority order: first provider with a value wins, then
    /// the manifest default.
    ///
    /// Application variable names are checked by [`Resolver::validate`].
    pub fn new(
        app_variables: &IndexMap<String, Variable>,
        providers: Vec<Arc<dyn Provider>>,
    ) -> Self {
        Self {
            variables: app_variables.clone(),
            providers,
            components: HashMap::new(),
        }
    }

    /// Registers a component's `variables`: parses each template, rejects
    /// invalid names and references to undeclared application variables
    /// (the error names the component, the variable and the template).
    ///
    /// Registering the same component again replaces its variables.
    pub fn add_component(
        &mut self,
        component_id: &str,
        variables: &IndexMap<String, String>,
    ) -> Result<(), Error> {
        let mut templates = IndexMap::with_capacity(variables.len());
        for (variable, text) in variables {
            if let Some(reason) = name::problem(variable) {
                return Err(Error::InvalidComponentVariable {
                    component: component_id.to_string(),
                    variable: variable.clone(),
                    reason,
                });
            }
            let template = Template::parse(text).map_err(|e| Error::InvalidTemplate {
                component: component_id.to_string(),
                variable: variable.clone(),
                template: text.clone(),
                reason: e.to_string(),
            })?;
            if let Some(unknown) = template
                .references()
                .find(|r| !self.variables.contains_key(*r))
            {
                return Err(Error::UnknownVariable {
                    component: component_id.to_string(),
                    variable: variable.clone(),
                    template: text.clone(),
                    name: unknown.to_string(),
                });
            }
            templates.insert(variable.clone(), template);
        }
        self.components.insert(component_id.to_string(), templates);
        Ok(())
    }

    /// Startup check: application variable names are valid, every
    /// `required` application variable has a value from some provider, and
    /// every registered component variable resolves. The error names the
    /// variable, never its value.
    pub async fn validate(&self) -> Result<(), Error> {
        if let Some(bad) = self.variables.keys().find(|n| !name::is_valid(n)) {
            return Err(Error::InvalidAppVariable { name: bad.clone() });
        }
        for (name, variable) in &self.variables {
            if variable.required && self.provider_value(name).await?.is_none() {
                return Err(Error::MissingRequired(name.clone()));
            }
        }
        let mut ids: Vec<&String> = self.components.keys().collect();
        ids.sort();
        for id in ids {
            let Some(templates) = self.components.get(id) else {
                continue;
            };
            for (variable, template) in templates {
                self.render(template)
                    .await
                    .map_err(|source| Error::Component {
                        component: id.clone(),
                        variable: variable.clone(),
                        source: Box::new(source),
                    })?;
            }
        }
        Ok(())
    }

    /// What a guest gets for `get(name)` in component `component_id`:
    /// [`Error::InvalidName`] when `name` is not a valid variable name,
    /// [`Error::Undefined`] when the component does not declare it,
    /// [`Error::Provider`] when a provider fails (or nothing supplies a
    /// required variable).
    pub async fn resolve(&self, component_id: &str, name: &str) -> Result<String, Error> {
        if !name::is_valid(name) {
            return Err(Error::InvalidName(name.to_string()));
        }
        let template = self
            .components
            .get(component_id)
            .and_then(|t| t.get(name))
            .ok_or_else(|| Error::Undefined(name.to_string()))?;
        self.render(template).await
    }

    /// All of the component's variables resolved, in manifest order (for
    /// `wasi:config/store` `get-all`). A component without variables, or
    /// one never registered, has none.
    pub async fn resolve_all(&self, component_id: &str) -> Result<Vec<(String, String)>, Error> {
        let Some(templates) = self.components.get(component_id) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::with_capacity(templates.len());
        for (variable, template) in templates {
            out.push((variable.clone(), self.render(template).await?));
        }
        Ok(out)
    }

    /// The component's declared variable names, in manifest order.
    pub fn component_variables(&self, component_id: &str) -> Vec<&str> {
        self.components
            .get(component_id)
            .map(|t| t.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// Renders `template` over application variables (`[variables]`), for
    /// trigger settings such as a Redis trigger's address and channel.
    pub async fn render_app_template(&self, template: &Template) -> Result<String, Error> {
        self.render(template).await
    }

    /// Fills in a template.
    async fn render(&self, template: &Template) -> Result<String, Error> {
        let mut out = String::new();
        for part in template.parts() {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Variable(name) => out.push_str(&self.app_variable(name).await?),
            }
        }
        Ok(out)
    }

    /// The value of application variable `name`: providers, then default.
    async fn app_variable(&self, name: &str) -> Result<String, Error> {
        if let Some(value) = self.provider_value(name).await? {
            return Ok(value);
        }
        match self.variables.get(name).and_then(|v| v.default.clone()) {
            Some(default) => Ok(default),
            None => Err(Error::Provider(format!(
                "no provider resolved required variable `{name}`"
            ))),
        }
    }

    /// The first provider's value for `name`, if any has one.
    async fn provider_value(&self, name: &str) -> Result<Option<String>, Error> {
        for (index, provider) in self.providers.iter().enumerate() {
            match provider.get(name).await {
                Ok(Some(value)) => {
                    tracing::trace!(variable = name, provider = index, "variable resolved");
                    return Ok(Some(value));
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(variable = name, provider = ?provider, error = %e, "variables provider failed");
                    return Err(Error::Provider(format!("variable `{name}`: {e}")));
                }
            }
        }
        Ok(None)
    }
}
